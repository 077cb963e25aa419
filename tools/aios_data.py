"""Synthetic ChatML conversations for aios-tiny.

A conversation is {"messages": [{"role", "content"}, ...], "tools": [tool names] or None}.
`render()` is the exact Python mirror of the Jinja chat template shipped in
tokenizer_config.json (CHAT_TEMPLATE below); the Node check (tools/check_onnx.mjs)
verifies that Transformers.js renders/tokenizes the reference prompts identically,
with and without a `tools` list.

Chat format.  The system message (the first message if its role is system, else
DEFAULT_SYSTEM) gets "\\n\\nTools: " + the offered tool names joined by ", " appended when
the template is given a non-empty `tools` list (OpenAI entries {type, function: {name, ...}}).

Tool-call format (assistant turn content, nothing else in that turn):
    <tool_call>{"name": "calculator", "arguments": {"expression": "12*7"}}</tool_call>
i.e. `"<tool_call>" + json.dumps({"name": ..., "arguments": {...}}) + "</tool_call>"`.
The tool result comes back as a message with role "tool" whose content is the result as the
kernel renders it (a string as is, anything else as JavaScript's JSON.stringify: `js_json`),
or `Error: <CODE> <message>`; then the assistant answers in plain words.  A request whose tool
is not offered is answered with NO_TOOL; a failed call with "Sorry, I could not use <tool>: <CODE>."
"""
import datetime
import json
import random
import re

DEFAULT_SYSTEM = "You are AIOS, a helpful assistant inside a browser operating system."
NO_TOOL = "I have no tool for that here."

ALL_TOOLS = ["calculator", "units", "clock", "files.write", "files.search", "files.read", "files.list",
             "js", "web.read", "fetch", "geolocation", "camera.snapshot", "camera.read", "clipboard.read",
             "clipboard.write", "notify", "speak", "files.import", "files.export"]
# The order the kernel offers them in (src/rpc/kernel-api.ts: library tools, js, device tools) and the sets
# an app's declared capabilities typically give (the library tools; the device tools).
KERNEL_ORDER = ["calculator", "units", "clock", "files.write", "files.read", "files.search", "files.list", "fetch",
                "web.read", "js", "geolocation", "camera.snapshot", "camera.read", "clipboard.read", "clipboard.write",
                "notify", "speak", "files.import", "files.export"]
KERNEL_GROUPS = [KERNEL_ORDER[:10], [t for t in KERNEL_ORDER[:10] if t not in ("fetch", "web.read")], KERNEL_ORDER[10:],
                 KERNEL_ORDER[:7] + KERNEL_ORDER[10:], ["calculator", "geolocation"], KERNEL_ORDER]
CANT_A = "I can't do that with the built-in model; a larger model can \u2014 see the model picker."

# "\n\nTools: a, b, c" after the system prompt, only when `tools` is given and non-empty.
_TOOLS_LINE = (
    "{%- if tools -%}"
    "{{- '\\n\\nTools: ' -}}"
    "{%- for t in tools -%}{{- t.function.name -}}{%- if not loop.last -%}{{- ', ' -}}{%- endif -%}{%- endfor -%}"
    "{%- endif -%}"
)

CHAT_TEMPLATE = (
    "{%- if messages | length == 0 or messages[0]['role'] != 'system' -%}"
    "{{- '<|im_start|>system\\n" + DEFAULT_SYSTEM + "' -}}" + _TOOLS_LINE + "{{- '<|im_end|>\\n' -}}"
    "{%- endif -%}"
    "{%- for message in messages -%}"
    "{%- if loop.first and message['role'] == 'system' -%}"
    "{{- '<|im_start|>system\\n' + message['content'] -}}" + _TOOLS_LINE + "{{- '<|im_end|>\\n' -}}"
    "{%- else -%}"
    "{{- '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' -}}"
    "{%- endif -%}"
    "{%- endfor -%}"
    "{%- if add_generation_prompt -%}"
    "{{- '<|im_start|>assistant\\n' -}}"
    "{%- endif -%}"
)


def tool_names(tools):
    """Names from a list of tool names or OpenAI tool entries ({"type": "function", "function": {"name"}})."""
    if not tools:
        return []
    return [t if isinstance(t, str) else t["function"]["name"] for t in tools]


def tools_suffix(tools):
    names = tool_names(tools)
    return "\n\nTools: " + ", ".join(names) if names else ""


def render_with_spans(messages, tools=None):
    """Python mirror of CHAT_TEMPLATE (no generation prompt); returns (text, spans) where spans
    are the [start, end) char ranges the model is trained to produce: each assistant content
    plus its closing <|im_end|>."""
    text = ""
    spans = []
    suffix = tools_suffix(tools)
    if not messages or messages[0]["role"] != "system":
        text += "<|im_start|>system\n" + DEFAULT_SYSTEM + suffix + "<|im_end|>\n"
    for k, m in enumerate(messages):
        head = "<|im_start|>" + m["role"] + "\n"
        text += head
        start = len(text)
        text += m["content"] + (suffix if k == 0 and m["role"] == "system" else "") + "<|im_end|>"
        if m["role"] == "assistant":
            spans.append((start, len(text)))
        text += "\n"
    return text, spans


def render(messages, add_generation_prompt=False, tools=None):
    """Python mirror of CHAT_TEMPLATE (`tools`: names or OpenAI tool entries)."""
    text = render_with_spans(messages, tools)[0]
    return text + ("<|im_start|>assistant\n" if add_generation_prompt else "")


def tool_call(name, arguments):
    return "<tool_call>" + json.dumps({"name": name, "arguments": arguments}) + "</tool_call>"


def js_num(x):
    """A number as JavaScript's String(x) / JSON.stringify writes it."""
    if isinstance(x, bool):
        return "true" if x else "false"
    if isinstance(x, int):
        return str(x)
    if x != x or x in (float("inf"), float("-inf")):
        return "null"
    if x == 0:
        return "0"
    if x.is_integer() and abs(x) < 2 ** 53:
        return str(int(x))
    s = repr(x)
    sign = ""
    if s[0] == "-":
        sign, s = "-", s[1:]
    mant, exp = (s.split("e") + ["0"])[:2]
    ip, fp = (mant.split(".") + [""])[:2]
    allds = ip + fp
    lead = len(allds) - len(allds.lstrip("0"))
    n = len(ip) - lead + int(exp)  # value = 0.DIGITS * 10^n
    digits = allds.lstrip("0").rstrip("0")
    k = len(digits)
    if k <= n <= 21:
        out = digits + "0" * (n - k)
    elif 0 < n <= 21:
        out = digits[:n] + "." + digits[n:]
    elif -6 < n <= 0:
        out = "0." + "0" * (-n) + digits
    else:
        e = n - 1
        out = digits[0] + ("." + digits[1:] if k > 1 else "") + "e" + ("+" if e >= 0 else "-") + str(abs(e))
    return sign + out


def js_json(o):
    """Compact JSON exactly like JavaScript's JSON.stringify (how the kernel renders tool results)."""
    if o is None:
        return "null"
    if isinstance(o, bool):
        return "true" if o else "false"
    if isinstance(o, (int, float)):
        return js_num(o)
    if isinstance(o, str):
        return json.dumps(o, ensure_ascii=False)
    if isinstance(o, (list, tuple)):
        return "[" + ",".join(js_json(x) for x in o) + "]"
    if isinstance(o, dict):
        return "{" + ",".join(json.dumps(str(k), ensure_ascii=False) + ":" + js_json(v) for k, v in o.items()) + "}"
    raise TypeError(type(o))


def result_text(x):
    """The kernel's rendering of a tool result: a string as is, anything else as JSON.stringify."""
    return x if isinstance(x, str) else js_json(x)


def sig(x, n):
    """Round to n significant digits (as a float, or int when integral)."""
    v = float(f"{x:.{n}g}")
    return int(v) if v.is_integer() and abs(v) < 1e15 else v


def U(c):
    return {"role": "user", "content": c}


def A(c):
    return {"role": "assistant", "content": c}


def T(c):
    return {"role": "tool", "content": c}


def S(c):
    return {"role": "system", "content": c}


# ----------------------------------------------------------------------------
# word lists
# ----------------------------------------------------------------------------
CAPITALS = [
    ("France", "Paris"), ("Germany", "Berlin"), ("Italy", "Rome"), ("Spain", "Madrid"),
    ("Portugal", "Lisbon"), ("Japan", "Tokyo"), ("China", "Beijing"), ("India", "New Delhi"),
    ("Canada", "Ottawa"), ("Mexico", "Mexico City"), ("Brazil", "Brasilia"), ("Argentina", "Buenos Aires"),
    ("Egypt", "Cairo"), ("Kenya", "Nairobi"), ("Russia", "Moscow"), ("Australia", "Canberra"),
    ("the United Kingdom", "London"), ("the United States", "Washington, D.C."), ("Greece", "Athens"),
    ("Sweden", "Stockholm"), ("Norway", "Oslo"), ("Poland", "Warsaw"), ("Ireland", "Dublin"),
    ("the Netherlands", "Amsterdam"), ("Belgium", "Brussels"), ("Austria", "Vienna"), ("Turkey", "Ankara"),
    ("South Korea", "Seoul"), ("Peru", "Lima"), ("Nigeria", "Abuja"), ("Thailand", "Bangkok"),
    ("Vietnam", "Hanoi"), ("Finland", "Helsinki"), ("Denmark", "Copenhagen"), ("Switzerland", "Bern"),
]

OPPOSITES = [
    ("hot", "cold"), ("big", "small"), ("up", "down"), ("fast", "slow"), ("day", "night"),
    ("happy", "sad"), ("light", "dark"), ("open", "closed"), ("old", "new"), ("left", "right"),
    ("good", "bad"), ("high", "low"), ("wet", "dry"), ("early", "late"), ("full", "empty"),
    ("hard", "soft"), ("long", "short"), ("in", "out"), ("yes", "no"), ("win", "lose"),
    ("first", "last"), ("strong", "weak"), ("rich", "poor"), ("true", "false"), ("start", "stop"),
]

COLOR_FACTS = [
    ("the sky", "The sky is blue."), ("grass", "Grass is green."), ("snow", "Snow is white."),
    ("a banana", "A banana is yellow."), ("a strawberry", "A strawberry is red."),
    ("the sun", "The sun looks yellow."), ("coal", "Coal is black."), ("an orange", "An orange is orange."),
    ("a carrot", "A carrot is orange."), ("milk", "Milk is white."), ("a lemon", "A lemon is yellow."),
    ("a tomato", "A tomato is red."), ("the ocean", "The ocean is blue."), ("chocolate", "Chocolate is brown."),
    ("a leaf", "A leaf is green."), ("an eggplant", "An eggplant is purple."),
]

COLOR_MIX = [
    ("blue", "yellow", "green"), ("red", "yellow", "orange"), ("red", "blue", "purple"),
    ("red", "white", "pink"), ("black", "white", "gray"), ("blue", "white", "light blue"),
]

DEFINITIONS = [
    (["a computer", "computer"], "A computer is a machine that stores and processes information by following instructions called programs."),
    (["an operating system", "operating system", "an OS"], "An operating system is the software that manages a computer's hardware and runs programs, files and windows for you."),
    (["a browser", "a web browser", "browser"], "A web browser is a program that loads and shows web pages, like the one AIOS runs in."),
    (["the internet", "internet"], "The internet is a global network that connects computers so they can share information."),
    (["a CPU", "CPU"], "A CPU is the central processing unit, the part of a computer that runs instructions."),
    (["a GPU", "GPU"], "A GPU is a graphics processing unit. It does many simple calculations at the same time."),
    (["memory", "RAM"], "Memory, or RAM, is where a computer keeps data it is working on right now."),
    (["a file", "file"], "A file is a named piece of data saved on a disk, like a document or a picture."),
    (["an app", "an application"], "An app is a program that does a task for you, like a calculator or a notes editor."),
    (["AI", "artificial intelligence"], "AI, or artificial intelligence, is software that can learn from data and do tasks like answering questions."),
    (["a language model", "an LLM"], "A language model is an AI that predicts the next word in a text. It can chat and answer questions."),
    (["a token"], "A token is a small piece of text, like a word or part of a word, that a language model reads and writes."),
    (["gravity"], "Gravity is the force that pulls things toward each other. It keeps us on the ground."),
    (["water"], "Water is a clear liquid made of hydrogen and oxygen. All living things need it."),
    (["the sun", "the Sun"], "The Sun is the star at the center of our solar system. It gives us light and heat."),
    (["the moon", "the Moon"], "The Moon is the natural satellite that goes around the Earth."),
    (["a cat"], "A cat is a small furry animal that people often keep as a pet."),
    (["a dog"], "A dog is a friendly animal that people often keep as a pet."),
    (["a tree"], "A tree is a tall plant with a wooden trunk, branches and leaves."),
    (["music"], "Music is sound arranged in a way that people enjoy, with rhythm and melody."),
    (["a calculator"], "A calculator is a tool that does arithmetic, like adding and multiplying numbers."),
    (["a clock"], "A clock is a device that shows the time."),
    (["a keyboard"], "A keyboard is a set of keys you press to type text into a computer."),
    (["a window"], "In a computer, a window is a box on the screen that shows an app."),
    (["a process"], "A process is a program that is running. The operating system gives it memory and time on the CPU."),
    (["a kernel"], "The kernel is the core of an operating system. In AIOS, the kernel is a small language model."),
    (["a password"], "A password is a secret word that protects your account."),
    (["a planet"], "A planet is a large round object that moves around a star, like the Earth around the Sun."),
    (["rain"], "Rain is water that falls from clouds in drops."),
    (["a robot"], "A robot is a machine that can move and do tasks by itself."),
]

LONG_ANSWERS = [
    (["Tell me about operating systems.", "tell me about operating systems", "What do operating systems do?", "Explain operating systems."],
     "An operating system is the main software of a computer. It starts when the computer boots, manages memory and the CPU, and lets many programs run at the same time. It also handles files, windows and devices like the keyboard and the screen. Popular operating systems include Linux, Windows and macOS. AIOS is a small operating system that runs inside a browser tab."),
    (["What is AIOS?", "what is aios", "Tell me about AIOS.", "How does AIOS work?"],
     "AIOS is an operating system that boots inside a browser tab. Its kernel is a small language model that runs in a web worker. Agents run as processes, and the kernel gives them tools like a calculator, a clock, notes in your files, JavaScript and web pages. Everything runs on your own device."),
    (["Explain how a web browser works.", "How does a browser work?", "how does a web browser work"],
     "A web browser asks a server for a web page using its address. The server sends back files like HTML, CSS and JavaScript. The browser reads the HTML to build the page, uses CSS to style it, and runs JavaScript to make it interactive. Then it draws the result on your screen."),
    (["Explain the internet.", "How does the internet work?", "tell me about the internet"],
     "The internet is a huge network of computers all over the world. Computers send each other small packets of data using shared rules called protocols. Routers pass the packets along until they reach the right place. This is how you can load web pages, send messages and watch videos."),
    (["Tell me about the solar system.", "What is the solar system?", "tell me about planets"],
     "The solar system is the Sun and everything that moves around it. There are eight planets: Mercury, Venus, Earth, Mars, Jupiter, Saturn, Uranus and Neptune. Jupiter is the biggest planet. The Earth is the third planet from the Sun, and it is the only one we know that has life."),
    (["Write a poem about the sea.", "write a poem about the ocean", "Give me a short poem about the sea."],
     "The sea is wide, the sea is blue,\nIt sings a song that feels so true.\nThe waves come in, the waves go out,\nThey whisper what the world's about.\nAnd when the sun goes down to sleep,\nThe stars shine on the quiet deep."),
    (["Give me some tips to stay healthy.", "How can I stay healthy?", "tips for a healthy life"],
     "Here are some simple tips. Drink enough water every day. Eat fruits and vegetables. Move your body, for example with a walk of thirty minutes. Sleep seven to nine hours each night. Take breaks from the screen, and spend time with people you like."),
    (["Why is the sky blue?", "why is the sky blue"],
     "The sky is blue because sunlight is made of many colors, and the air scatters blue light much more than red light. When you look up, you see this scattered blue light coming from every part of the sky. At sunset the light travels through more air, so the sky looks orange and red."),
    (["What is a computer program?", "How do computer programs work?", "explain programming"],
     "A computer program is a list of instructions that tells a computer what to do. Programmers write these instructions in a programming language like JavaScript or Python. The computer follows the steps one by one, very fast. Programs can do things like show a web page, play music or answer your questions."),
    (["Tell me a fun fact.", "tell me something interesting", "Give me a fun fact."],
     "Here is a fun fact: octopuses have three hearts and blue blood. Two hearts pump blood to the gills, and the third pumps it to the rest of the body. They are also very smart and can open jars to get food."),
]

CAT_NAMES = ["Luna", "Milo", "Tom", "Bella", "Oliver", "Kiki", "Max", "Nala", "Simba", "Pepper", "Mochi", "Leo", "Coco", "Shadow", "Ginger", "Felix"]
CAT_PLACES = ["a small house near the sea", "a busy city", "a quiet village", "an old bookshop", "a big farm", "a little flat"]
CAT_THINGS = ["a red ball", "a blue bird", "a shiny key", "a lost mouse", "a ball of yarn", "a butterfly"]

NAMES = ["Alice", "Bob", "Carol", "David", "Emma", "Frank", "Grace", "Hugo", "Ines", "Jack", "Kate", "Liam", "Maria", "Noah", "Olga", "Paul", "Rosa", "Sam", "Tina", "Victor", "Yuki", "Zoe", "Omar", "Lena", "Ravi", "Mei"]

WORDS = (
    "apple river blue stone happy window music green house light tree cloud quick brown fox jumps over the lazy dog "
    "hello world computer garden morning yellow orange purple silver gold water fire earth wind rain snow summer winter "
    "book paper pencil table chair door road city train plane boat ocean mountain forest flower bird fish cat horse "
    "little big red small old new warm cold soft loud quiet bright dark sweet smart kind fast slow funny strange "
    "I you we they like love see want need have make find play run walk read write sing dance jump sleep eat drink "
    "today tomorrow always never sometimes again here there very really just only also and or but with from to in on "
    "browser kernel agent process tool memory file system screen window tab button mouse keyboard robot star moon sun"
).split()

DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"]


SYSTEMS_AIOS = [
    DEFAULT_SYSTEM,
    "You are AIOS. Answer briefly.",
    "You are AIOS, the kernel of a browser operating system. Be concise and friendly.",
]
SYSTEMS_OTHER = [
    "You are a helpful assistant.",
    "You are a friendly assistant that runs in the browser.",
    "Answer the user's question.",
    "You are a travel planner.", "You are a cooking assistant.", "You are a coding helper.",
    "You are a note-taking assistant.", "You are a research agent.", "You are a math tutor.",
    "You are a personal assistant. Be brief.", "You are an agent named Scout.", "You are a shopping helper.",
    "You are a study buddy for students.", "You are a careful librarian.", "You are a fitness coach.",
    "You are a writer's assistant.", "You are an office assistant.", "You are a support agent for a web app.",
    "You are a data analyst.", "You are a home helper. Keep answers short.",
]


# ----------------------------------------------------------------------------
# helpers
# ----------------------------------------------------------------------------
def vary(r, text, allow_lower=True, please=True):
    """Light surface variation of a user message (never used on text a tool call copies)."""
    if allow_lower and r.random() < 0.25:
        text = text.lower()
    if text.endswith("?") and r.random() < 0.2:
        text = text[:-1]
    elif text.endswith(".") and r.random() < 0.3:
        text = text[:-1]
    if please and r.random() < 0.06:
        text = text + " please"
    return text


def vary_t(r, tmpl, **slots):
    """Vary a template's wording (case, final punctuation), then fill the copied slots verbatim."""
    t = tmpl
    if r.random() < 0.2:
        t = t[:1].lower() + t[1:]
    if t.endswith("?") and r.random() < 0.2:
        t = t[:-1]
    elif t.endswith(".") and r.random() < 0.3:
        t = t[:-1]
    for k, v in slots.items():
        t = t.replace("{" + k + "}", str(v))
    return t


def fmt_num(x):
    if isinstance(x, int):
        return str(x)
    if abs(x - round(x)) < 1e-9:
        return str(int(round(x)))
    s = ("%.4f" % x).rstrip("0").rstrip(".")
    return s


def rand_sentence(r, lo=1, hi=8):
    n = r.randint(lo, hi)
    ws = [r.choice(WORDS) for _ in range(n)]
    s = " ".join(ws)
    if r.random() < 0.5:
        s = s[0].upper() + s[1:]
    if r.random() < 0.3:
        s += r.choice([".", "!", "?"])
    return s


def err_answer(tool, code):
    return f"Sorry, I could not use {tool}: {code}."


def exchange(user, tool, args, result, answer, err=None):
    """[user, call, result, answer]; err = (CODE, message) turns it into a failed call."""
    if err:
        code, msg = err
        return [U(user), A(tool_call(tool, args)), T(f"Error: {code} {msg}"), A(err_answer(tool, code))]
    return [U(user), A(tool_call(tool, args)), T(result_text(result)), A(answer)]


def host_of(url):
    return url.split("://", 1)[-1].split("/", 1)[0]


# ----------------------------------------------------------------------------
# calculator
# ----------------------------------------------------------------------------
OPS = {
    "+": (["plus", "added to"], lambda a, b: a + b),
    "-": (["minus"], lambda a, b: a - b),
    "*": (["times", "multiplied by"], lambda a, b: a * b),
    "/": (["divided by", "over"], lambda a, b: a / b),
}
CALC_ERRORS = [("EINVAL", "expression: Undefined symbol x"), ("EINVAL", "expression: Unexpected end of expression"),
               ("EINVAL", "expression: Parenthesis ) expected"), ("ETIMEDOUT", "calculator ran over 1000 ms")]


def calc_value(v):
    """A mathjs result as the kernel returns it: a number, 12 significant digits."""
    return sig(v, 12)


def rand_operand(r):
    k = r.random()
    if k < 0.45:
        return r.randint(0, 12)
    if k < 0.8:
        return r.randint(10, 99)
    if k < 0.95:
        return r.randint(100, 999)
    return r.randint(1000, 9999)


def calc_sample(r, err=None):
    op = r.choice("+-*/+-*")
    a, b = rand_operand(r), rand_operand(r)
    if r.random() < 0.1:  # one- or two-decimal operands, e.g. 2.5*4
        a = round(r.randint(1, 999) / r.choice([10, 100]), 2)
    if r.random() < 0.06:
        b = round(r.randint(1, 999) / 10, 1)
    if op == "/":
        if r.random() < 0.7:  # mostly exact divisions
            b = r.randint(1, 12)
            a = b * r.randint(0, 30)
        elif b == 0:
            b = r.randint(1, 9)
    sym_expr_compact = f"{a}{op}{b}"
    sym_expr_spaced = f"{a} {op} {b}"
    style = r.random()
    if style < 0.45:
        expr = sym_expr_compact
        user = r.choice([
            "What is {e}?", "what's {e}?", "Calculate {e}", "calculate {e}", "Compute {e}",
            "How much is {e}?", "how much is {e}", "{e}", "{e} = ?", "{e}=?", "Solve {e}", "What does {e} equal?",
            "Can you calculate {e}?", "Please calculate {e}.", "Evaluate {e}", "What is the result of {e}?",
            "Quick, what's {e}?", "Use the calculator for {e}", "I need to know {e}",
            "Work out {e}", "work out {e} for me", "Tell me {e}", "What's the answer to {e}?", "Give me the result of {e}",
            "Figure out {e}", "Do the math: {e}", "I need the answer to {e}", "Help me compute {e}", "{e} equals what?",
            "What would {e} be?", "Find {e}",
        ]).replace("{e}", expr)
    elif style < 0.65:
        expr = sym_expr_spaced
        user = r.choice([
            "What is {e}?", "Calculate {e}", "calculate {e}", "How much is {e}?", "{e}", "Compute {e}",
            "what is {e}", "Can you work out {e}?", "Solve {e}", "{e} = ?", "Work out {e}", "Tell me {e}",
            "What's the answer to {e}?", "Figure out {e} for me",
        ]).replace("{e}", expr)
    else:
        expr = sym_expr_compact
        if op == "+":
            tmpl = r.choice([
                "What is {a} plus {b}?", "what is {a} plus {b}", "Add {a} and {b}", "add {a} and {b}",
                "What is the sum of {a} and {b}?", "How much is {a} plus {b}?", "What do you get if you add {a} and {b}?",
                "{a} plus {b}", "What is {a} added to {b}?", "What's {a} plus {b}?", "Sum {a} and {b}",
                "Tell me {a} plus {b}", "Work out {a} plus {b}", "Add up {a} and {b}",
            ])
        elif op == "-":
            tmpl = r.choice([
                "What is {a} minus {b}?", "what is {a} minus {b}", "Subtract {b} from {a}", "subtract {b} from {a}",
                "How much is {a} minus {b}?", "{a} minus {b}", "Take {b} away from {a}",
                "What is the difference between {a} and {b}?", "What's {a} minus {b}?", "Tell me {a} minus {b}",
                "Work out {a} minus {b}", "How much is left if I take {b} from {a}?",
            ])
        elif op == "*":
            tmpl = r.choice([
                "What is {a} times {b}?", "what is {a} times {b}", "Multiply {a} by {b}", "multiply {a} and {b}",
                "What is {a} multiplied by {b}?", "How much is {a} times {b}?", "{a} times {b}",
                "What is the product of {a} and {b}?", "Can you multiply {a} by {b}?", "What do you get if you multiply {a} and {b}?",
                "What's {a} times {b}?", "Tell me {a} times {b}", "Work out {a} times {b}", "{a} multiplied by {b}",
            ])
        else:
            tmpl = r.choice([
                "What is {a} divided by {b}?", "what is {a} divided by {b}", "Divide {a} by {b}", "divide {a} by {b}",
                "How much is {a} divided by {b}?", "{a} divided by {b}", "What is {a} over {b}?",
                "What's {a} divided by {b}?", "Tell me {a} divided by {b}", "Split {a} by {b}", "Work out {a} divided by {b}",
            ])
        user = tmpl.replace("{a}", str(a)).replace("{b}", str(b))
    user = vary(r, user)
    res = calc_value(OPS[op][1](a, b))
    return exchange(user, "calculator", {"expression": expr}, res, f"{expr} = {js_num(res)}.", err and r.choice(CALC_ERRORS))


def calc3_sample(r, err=None):
    """Three-operand expressions typed symbolically."""
    a, b, c = r.randint(1, 20), r.randint(1, 20), r.randint(1, 12)
    form = r.choice(["{a}+{b}*{c}", "({a}+{b})*{c}", "{a}*{b}-{c}", "{a}-{b}+{c}", "({a}-{b})*{c}", "{a}*{b}+{c}",
                     "{a}+{b}+{c}", "{a}*{b}*{c}", "({a}+{b})/{c}", "{a}*({b}-{c})"])
    expr = form.format(a=a, b=b, c=c)
    res = calc_value(eval(expr))
    user = vary(r, r.choice(["What is {e}?", "Calculate {e}", "calculate {e}", "How much is {e}?", "{e}", "Compute {e}", "Solve {e}"]).replace("{e}", expr))
    return exchange(user, "calculator", {"expression": expr}, res, f"{expr} = {js_num(res)}.", err and r.choice(CALC_ERRORS))


def calcfn_sample(r, err=None):
    """Square roots, powers and percentages in words or symbols."""
    k = r.random()
    if k < 0.3:
        n = r.choice([r.randint(1, 30) ** 2, r.randint(2, 200)])
        expr = f"sqrt({n})"
        res = calc_value(n ** 0.5)
        user = r.choice(["What is the square root of {n}?", "what is the square root of {n}", "Square root of {n}?",
                         "sqrt({n})", "What is sqrt({n})?", "Calculate the square root of {n}", "calculate sqrt({n})",
                         "What's the square root of {n}?"]).replace("{n}", str(n))
    elif k < 0.6:
        a = r.randint(2, 12)
        b = r.randint(2, 10) if a < 5 else r.randint(2, 4)
        word = r.random()
        if word < 0.25:
            b = 2
            user = r.choice(["What is {a} squared?", "{a} squared", "what is {a} squared"]).replace("{a}", str(a))
        elif word < 0.4:
            b = 3
            user = r.choice(["What is {a} cubed?", "{a} cubed"]).replace("{a}", str(a))
        elif word < 0.7:
            user = r.choice(["What is {a} to the power of {b}?", "{a} to the power of {b}", "Calculate {a} to the power {b}",
                             "What is {a} raised to the power of {b}?"]).replace("{a}", str(a)).replace("{b}", str(b))
        else:
            user = r.choice(["What is {a}^{b}?", "{a}^{b}", "calculate {a}^{b}", "How much is {a}^{b}?"]).replace("{a}", str(a)).replace("{b}", str(b))
        expr = f"{a}^{b}"
        res = calc_value(a ** b)
    else:
        p = r.choice([5, 10, 15, 20, 25, 30, 40, 50, 75, r.randint(1, 99)])
        n = r.choice([r.randint(1, 20) * 10, r.randint(10, 999), r.randint(1, 9) * 100])
        expr = f"{p}/100*{n}"
        res = calc_value(p / 100 * n)
        user = r.choice(["What is {p}% of {n}?", "what is {p}% of {n}", "{p}% of {n}", "Calculate {p}% of {n}",
                         "What is {p} percent of {n}?", "How much is {p}% of {n}?", "{p} percent of {n}"]).replace("{p}", str(p)).replace("{n}", str(n))
    user = vary(r, user)
    return exchange(user, "calculator", {"expression": expr}, res, f"{expr} = {js_num(res)}.", err and r.choice(CALC_ERRORS))


# ----------------------------------------------------------------------------
# units (mathjs unit names)
# ----------------------------------------------------------------------------
# name: (dimension, factor to the base unit, singular words, plural words)
UNITS = {
    "m": ("len", 1.0, ["meter", "metre", "m"], ["meters", "metres", "m"]),
    "km": ("len", 1000.0, ["kilometer", "km"], ["kilometers", "kilometres", "km"]),
    "cm": ("len", 0.01, ["centimeter", "cm"], ["centimeters", "cm"]),
    "mm": ("len", 0.001, ["millimeter", "mm"], ["millimeters", "mm"]),
    "mi": ("len", 1609.344, ["mile"], ["miles"]),
    "ft": ("len", 0.3048, ["foot", "ft"], ["feet", "ft"]),
    "inch": ("len", 0.0254, ["inch"], ["inches"]),
    "yd": ("len", 0.9144, ["yard"], ["yards"]),
    "kg": ("mass", 1.0, ["kilogram", "kg", "kilo"], ["kilograms", "kg", "kilos"]),
    "g": ("mass", 0.001, ["gram", "g"], ["grams", "g"]),
    "lb": ("mass", 0.45359237, ["pound", "lb"], ["pounds", "lbs", "lb"]),
    "oz": ("mass", 0.028349523125, ["ounce", "oz"], ["ounces", "oz"]),
    "l": ("vol", 1.0, ["liter", "litre", "l"], ["liters", "litres", "l"]),
    "ml": ("vol", 0.001, ["milliliter", "ml"], ["milliliters", "ml"]),
    "gal": ("vol", 3.785411784, ["gallon"], ["gallons"]),
    "cup": ("vol", 0.2365882365, ["cup"], ["cups"]),
    "degC": ("temp", None, ["celsius", "degrees celsius", "degrees C", "°C", "C"], ["celsius", "degrees celsius", "degrees C", "°C", "C"]),
    "degF": ("temp", None, ["fahrenheit", "degrees fahrenheit", "degrees F", "°F", "F"], ["fahrenheit", "degrees fahrenheit", "degrees F", "°F", "F"]),
    "K": ("temp", None, ["kelvin", "K"], ["kelvin", "K"]),
    "km/h": ("speed", 1 / 3.6, ["km/h", "kilometers per hour", "kph"], ["km/h", "kilometers per hour", "kph"]),
    "mi/h": ("speed", 0.44704, ["mph", "miles per hour"], ["mph", "miles per hour"]),
    "m/s": ("speed", 1.0, ["m/s", "meters per second"], ["m/s", "meters per second"]),
    "s": ("time", 1.0, ["second"], ["seconds", "secs", "s"]),
    "min": ("time", 60.0, ["minute"], ["minutes", "mins", "min"]),
    "h": ("time", 3600.0, ["hour"], ["hours", "hrs", "h"]),
    "day": ("time", 86400.0, ["day"], ["days"]),
    "week": ("time", 604800.0, ["week"], ["weeks"]),
    "B": ("data", 1.0, ["byte"], ["bytes", "B"]),
    "kB": ("data", 1e3, ["kilobyte", "kB"], ["kilobytes", "kB", "KB"]),
    "MB": ("data", 1e6, ["megabyte", "MB"], ["megabytes", "MB"]),
    "GB": ("data", 1e9, ["gigabyte", "GB"], ["gigabytes", "GB"]),
}
UNIT_DIMS = {}
for _u, (_d, *_rest) in UNITS.items():
    UNIT_DIMS.setdefault(_d, []).append(_u)
UNIT_ERRORS = [("EINVAL", "units: Units do not match"), ("EINVAL", "from: unknown unit"), ("EINVAL", "to: unknown unit")]


def to_kelvin(v, u):
    return v + 273.15 if u == "degC" else (v - 32) * 5 / 9 + 273.15 if u == "degF" else v


def from_kelvin(k, u):
    return k - 273.15 if u == "degC" else (k - 273.15) * 9 / 5 + 32 if u == "degF" else k


def convert(v, fu, tu):
    if UNITS[fu][0] == "temp":
        return from_kelvin(to_kelvin(v, fu), tu)
    return v * UNITS[fu][1] / UNITS[tu][1]


def unit_word(r, u, v=2):
    sing, plur = UNITS[u][2], UNITS[u][3]
    return r.choice(sing if v == 1 else plur)


def units_sample(r, err=None):
    dim = r.choices(["len", "mass", "vol", "temp", "speed", "time", "data"], [6, 4, 3, 3, 2, 3, 2])[0]
    for _ in range(100):
        fu, tu = r.sample(UNIT_DIMS[dim], 2)
        if dim == "temp":
            v = r.choice([r.randint(-40, 120), r.randint(0, 40), r.randint(50, 110), r.randint(0, 100) * 5])
            if tu == "K" or fu == "K":
                v = abs(v)
        else:
            v = r.choice([r.randint(1, 12), r.randint(1, 100), r.randint(1, 1000), r.randint(1, 50) * 10])
            if r.random() < 0.15:
                v = round(r.randint(1, 999) / 10, 1)
                v = int(v) if float(v).is_integer() else v
        out = convert(v, fu, tu)
        if dim == "temp" or 1e-3 <= abs(out) < 1e9:
            break
    val = sig(out, 6)
    if val == 0:
        val = 0
    fw = unit_word(r, fu, v)
    tw = unit_word(r, tu)
    vs = js_num(v)
    if dim == "temp":
        tmpl = r.choice([
            "Convert {v} {f} to {t}", "convert {v} {f} to {t}", "What is {v} {f} in {t}?", "{v} {f} in {t}",
            "{v} {f} to {t}", "How much is {v} {f} in {t}?", "What's {v} {f} in {t}?", "{v} {f} is how many {t}?",
            "Turn {v} {f} into {t}", "Express {v} {f} in {t}", "I need {v} {f} in {t}", "Change {v} {f} into {t}",
            "Give me {v} {f} in {t}", "Tell me {v} {f} in {t}",
        ])
    else:
        tmpl = r.choice([
            "How many {t} is {v} {f}?", "How many {t} are in {v} {f}?", "how many {t} in {v} {f}", "Convert {v} {f} to {t}",
            "convert {v} {f} into {t}", "{v} {f} in {t}", "What is {v} {f} in {t}?", "{v} {f} to {t}",
            "How much is {v} {f} in {t}?", "change {v} {f} to {t}", "{v} {f} is how many {t}?", "What's {v} {f} in {t}?",
            "Convert {v} {f} into {t}.", "how many {t} is {v} {f}",
            "Turn {v} {f} into {t}", "Express {v} {f} in {t}", "I need {v} {f} in {t}", "{v} {f} equals how many {t}?",
            "What's {v} {f} when converted to {t}?", "Change {v} {f} into {t}", "Give me {v} {f} in {t}",
            "Tell me {v} {f} in {t}", "How many {t} do {v} {f} make?", "What does {v} {f} come to in {t}?",
        ])
    user = vary_t(r, tmpl, v=vs, f=fw, t=tw)
    args = {"value": v, "from": fu, "to": tu}
    return exchange(user, "units", args, {"value": val, "unit": tu}, f"{vs} {fu} = {js_num(val)} {tu}.",
                    err and r.choice(UNIT_ERRORS))


# ----------------------------------------------------------------------------
# clock
# ----------------------------------------------------------------------------
ZONES = [
    ("Asia/Tokyo", ["+09:00"], ["Tokyo", "Japan", "Osaka"]),
    ("Europe/Paris", ["+01:00", "+02:00"], ["Paris", "France"]),
    ("Europe/London", ["+00:00", "+01:00"], ["London", "the UK", "England"]),
    ("America/New_York", ["-05:00", "-04:00"], ["New York", "NYC", "Boston", "Miami"]),
    ("America/Los_Angeles", ["-08:00", "-07:00"], ["Los Angeles", "LA", "San Francisco", "Seattle"]),
    ("America/Chicago", ["-06:00", "-05:00"], ["Chicago", "Dallas"]),
    ("America/Denver", ["-07:00", "-06:00"], ["Denver"]),
    ("America/Toronto", ["-05:00", "-04:00"], ["Toronto"]),
    ("America/Mexico_City", ["-06:00"], ["Mexico City"]),
    ("America/Sao_Paulo", ["-03:00"], ["Sao Paulo", "Rio de Janeiro", "Brazil"]),
    ("America/Argentina/Buenos_Aires", ["-03:00"], ["Buenos Aires", "Argentina"]),
    ("Europe/Berlin", ["+01:00", "+02:00"], ["Berlin", "Germany", "Munich"]),
    ("Europe/Madrid", ["+01:00", "+02:00"], ["Madrid", "Spain", "Barcelona"]),
    ("Europe/Rome", ["+01:00", "+02:00"], ["Rome", "Italy", "Milan"]),
    ("Europe/Amsterdam", ["+01:00", "+02:00"], ["Amsterdam", "the Netherlands"]),
    ("Europe/Stockholm", ["+01:00", "+02:00"], ["Stockholm", "Sweden"]),
    ("Europe/Athens", ["+02:00", "+03:00"], ["Athens", "Greece"]),
    ("Europe/Istanbul", ["+03:00"], ["Istanbul", "Turkey"]),
    ("Europe/Moscow", ["+03:00"], ["Moscow", "Russia"]),
    ("Africa/Cairo", ["+02:00", "+03:00"], ["Cairo", "Egypt"]),
    ("Africa/Lagos", ["+01:00"], ["Lagos", "Nigeria"]),
    ("Africa/Nairobi", ["+03:00"], ["Nairobi", "Kenya"]),
    ("Africa/Johannesburg", ["+02:00"], ["Johannesburg", "South Africa", "Cape Town"]),
    ("Asia/Dubai", ["+04:00"], ["Dubai"]),
    ("Asia/Kolkata", ["+05:30"], ["India", "Mumbai", "Delhi", "Bangalore"]),
    ("Asia/Bangkok", ["+07:00"], ["Bangkok", "Thailand"]),
    ("Asia/Singapore", ["+08:00"], ["Singapore"]),
    ("Asia/Shanghai", ["+08:00"], ["Shanghai", "Beijing", "China"]),
    ("Asia/Hong_Kong", ["+08:00"], ["Hong Kong"]),
    ("Asia/Seoul", ["+09:00"], ["Seoul", "South Korea"]),
    ("Asia/Jakarta", ["+07:00"], ["Jakarta", "Indonesia"]),
    ("Australia/Sydney", ["+10:00", "+11:00"], ["Sydney", "Australia"]),
    ("Pacific/Auckland", ["+12:00", "+13:00"], ["Auckland", "New Zealand"]),
    ("UTC", ["+00:00"], ["UTC"]),
]
CLOCK_Q = [
    "What time is it?", "what time is it", "What's the time?", "what's the time", "What's the date?",
    "what's the date", "What is the date today?", "What day is it today?", "Tell me the time.",
    "What is today's date?", "Current time please.", "Do you know what time it is?", "What time is it now?",
    "Can you tell me the time?", "What is the time right now?", "what day is it", "Show me the clock.",
    "What's today's date?", "Give me the current date and time.", "time?", "What day of the week is it?",
    "What's the current time?", "Got the time?", "Which date is it?", "Tell me today's date.", "What hour is it?",
    "Check the clock.", "Tell me the date.", "What's the time now?", "Is it morning or evening right now?",
    "Give me the time.", "What is the current date?", "I need the time.", "Which day is today?",
]
CLOCK_ZONE_Q = [
    "What time is it in {z}?", "what time is it in {z}", "What's the time in {z}?", "Current time in {z}?",
    "What is the date in {z}?", "time in {z}", "What day is it in {z}?", "Tell me the time in {z}.",
    "What time is it now in {z}?", "Do you know the time in {z}?", "What's the date in {z} right now?",
    "What's the local time in {z}?", "What time do they have in {z}?", "Give me the time in {z}.",
    "Current date in {z}?", "Tell me the current time in {z}.", "Check the time in {z}.", "What hour is it in {z}?",
    "{z} time now?", "What's the clock in {z} saying?", "I need the time in {z}.",
]
CLOCK_ERRORS = [("EINVAL", "timeZone: unknown time zone"), ("ENODEV", "no open tab can serve clock")]


def rand_dt(r):
    return datetime.datetime(r.randint(2024, 2031), r.randint(1, 12), r.randint(1, 28), r.randint(0, 23), r.randint(0, 59))


def clock_result(dt, tz, off):
    return {"date": dt.strftime("%Y-%m-%d"), "time": dt.strftime("%H:%M"), "weekday": dt.strftime("%A"),
            "timeZone": tz, "utcOffset": off}


def clock_sample(r, err=None):
    tz, offs, names = r.choice(ZONES)
    off = r.choice(offs)
    base = rand_dt(r)
    named = r.random() < 0.5
    place = tz if r.random() < 0.15 else r.choice(names)
    k = r.random()
    args = {}
    if named:
        args["timeZone"] = tz
    if k < 0.45:  # now
        if named:
            user = vary_t(r, r.choice(CLOCK_ZONE_Q), z=place)
        else:
            user = vary(r, r.choice(CLOCK_Q), allow_lower=False)
        res = clock_result(base, tz, off)
        ans = f"It is {res['time']} on {res['weekday']}, {res['date']} ({tz})."
        return exchange(user, "clock", args, res, ans, err and r.choice(CLOCK_ERRORS))
    where = (" in " + place) if named else ""
    if k < 0.78:  # add days
        n = r.choice([1, 1, 1, -1, r.randint(2, 10), r.randint(2, 60), r.randint(2, 400), -r.randint(2, 30)])
        if n == 1:
            tmpl = r.choice(["What day will it be tomorrow{w}?", "What's the date tomorrow{w}?", "What is tomorrow's date{w}?",
                             "What day is it tomorrow{w}?", "Which day is tomorrow{w}?", "What date is it tomorrow{w}?"])
        elif n == -1:
            tmpl = r.choice(["What day was it yesterday{w}?", "What was yesterday's date{w}?", "What was the date yesterday{w}?"])
        elif n < 0:
            tmpl = r.choice(["What was the date {m} days ago{w}?", "What day was it {m} days ago{w}?", "Which date was it {m} days ago{w}?"])
        else:
            tmpl = r.choice(["What date is it in {n} days{w}?", "What day will it be in {n} days{w}?", "What is the date {n} days from now{w}?",
                             "Which day is it in {n} days{w}?", "What's the date in {n} days{w}?", "What day of the week is it in {n} days{w}?",
                             "What will the date be in {n} days{w}?", "{n} days from now{w}, what date is it?"])
        user = vary_t(r, tmpl, n=n, m=-n, w=where)
        args["add"] = {"days": n}
        dt = base + datetime.timedelta(days=n)
        res = clock_result(dt, tz, off)
        day = f"{res['weekday']}, {res['date']}"
        if n == 1:
            ans = f"Tomorrow is {day}"
        elif n == -1:
            ans = f"Yesterday was {day}"
        elif n < 0:
            ans = f"{-n} days ago it was {day}"
        else:
            ans = f"In {n} days it is {day}"
    else:  # add hours
        n = r.choice([1, 2, 3, r.randint(1, 12), r.randint(1, 48)])
        hs = "hour" if n == 1 else "hours"
        tmpl = r.choice(["What time will it be in {n} {h}{w}?", "what time is it in {n} {h}{w}", "What's the time {n} {h} from now{w}?",
                         "What time is it {n} {h} from now{w}?", "In {n} {h}, what time will it be{w}?", "What will the time be in {n} {h}{w}?"])
        user = vary_t(r, tmpl, n=n, h=hs, w=where)
        args["add"] = {"hours": n}
        dt = base + datetime.timedelta(hours=n)
        res = clock_result(dt, tz, off)
        ans = f"In {n} {hs} it is {res['time']} on {res['weekday']}, {res['date']}"
    ans += f" ({tz})." if named else "."
    return exchange(user, "clock", args, res, ans, err and r.choice(CLOCK_ERRORS))


# ----------------------------------------------------------------------------
# files: notes
# ----------------------------------------------------------------------------
PEOPLE = ["mom", "dad", "grandma", "grandpa", "my sister", "my brother", "the doctor", "the dentist", "the plumber",
          "my boss", "the landlord", "the bank", "my aunt", "my uncle", "the school", "the vet"]
ITEMS = ["milk", "bread", "eggs", "coffee", "apples", "rice", "cheese", "butter", "tea", "bananas", "batteries", "stamps",
         "flowers", "a birthday card", "dog food", "cat food", "printer paper", "light bulbs", "soap", "tomatoes", "pasta",
         "olive oil", "honey", "yogurt", "orange juice", "carrots", "onions", "sugar", "flour", "chocolate", "a cake",
         "toothpaste", "shampoo", "potatoes", "lemons", "water", "wine", "a gift for Sam", "new socks", "a notebook"]
PLACES = ["the office", "the library", "the station", "the gym", "the post office", "the pharmacy", "the bakery",
          "the garage", "school", "the airport", "the market", "the shop", "the bank", "the park"]
THINGS = ["book", "umbrella", "charger", "keys", "laptop", "jacket", "bike", "ladder", "drill", "camera", "tent",
          "headphones", "guitar", "printer", "lamp", "scarf", "passport", "ticket", "wallet", "glasses"]
BILLS = ["phone", "electricity", "water", "internet", "rent", "gas", "insurance", "credit card"]
SECRET_WORDS = ["tulip", "maple", "river", "falcon", "cactus", "pepper", "orbit", "violet", "tiger", "comet", "mango",
                "cedar", "pixel", "harbor", "lotus", "ember", "willow", "zebra", "coral", "breeze"]
TOPIC_WORDS = ["trip", "garden", "project", "party", "budget", "recipe", "workout", "meeting", "holiday", "move",
               "wedding", "report", "course", "book club", "car", "website", "podcast", "concert"]
NOTE_STOP = set(("i me my we our you your a an the that this these is are was were be been to of in on at for by with "
                 "and or but must need needs should have has had it its from every s t am pm will before after under "
                 "some out about please do does so if as than then there their his her him she he they them us not "
                 "can could would").split())

NOTE_TEMPLATES = [
    "I must buy {item}", "buy {item}", "I need to buy {item} and {item2}", "we are out of {item}",
    "call {person} on {day}", "call {person} at {h} pm", "I have to call {person} tomorrow",
    "the wifi password is {secret}{n2}", "the door code is {d4}", "my locker number is {n3}",
    "the parking spot is {L}{n2}", "{name}'s birthday is on {month} {d}", "meeting with {name} at {h}:{mm} on {day}",
    "pick up {item} from {place}", "return the {thing} to {name}", "lend my {thing} to {name}",
    "pay the {bill} bill by {day}", "water the plants every {day}", "dentist appointment on {month} {d} at {h} am",
    "the train leaves at {h}:{mm} from platform {n1}", "{name} likes {item}", "{name} is allergic to {item}",
    "send the report to {name} before {day}", "renew my passport in {month}", "the spare key is under the {mat}",
    "ideas for the {topic}: {w1}, {w2} and {w3}", "book a table for {n1} on {day}", "the {topic} starts on {month} {d}",
    "{name} owes me {n2} euros", "my {thing} is at {place}", "clean the {room} on {day}", "the gym opens at {h} am",
    "remember to bring the {thing}", "{name}'s phone number is {d4} {d4}", "the {topic} budget is {n3} dollars",
    "feed the cat at {h} pm", "take my pills every morning", "finish the {topic} slides by {day}",
]
MATS = ["mat", "flowerpot", "blue flowerpot", "doormat", "stone", "bench"]
ROOMS = ["kitchen", "garage", "bathroom", "attic", "basement", "car"]


def rand_note(r):
    """A note as the user types it (lowercase start, no final period)."""
    if r.random() < 0.25:  # random words: only copying gets these right
        return " ".join(r.choice(WORDS) for _ in range(r.randint(2, 8)))
    t = r.choice(NOTE_TEMPLATES)
    item, item2 = r.sample(ITEMS, 2)
    w = r.sample(WORDS, 3)
    return t.format(item=item, item2=item2, person=r.choice(PEOPLE + NAMES), day=r.choice(DAYS), h=r.randint(1, 12),
                    mm=r.choice(["00", "15", "30", "45", f"{r.randint(0, 59):02d}"]), secret=r.choice(SECRET_WORDS),
                    n1=r.randint(1, 9), n2=r.randint(10, 99), n3=r.randint(100, 999), d4=r.randint(1000, 9999),
                    L=r.choice("ABCDEFGH"), name=r.choice(NAMES), month=r.choice(MONTHS), d=r.randint(1, 28),
                    place=r.choice(PLACES), thing=r.choice(THINGS), bill=r.choice(BILLS), mat=r.choice(MATS),
                    topic=r.choice(TOPIC_WORDS), w1=w[0], w2=w[1], w3=w[2], room=r.choice(ROOMS))


def note_content(c):
    """The saved text: first letter capitalised, a final period unless it ends with . ! ?"""
    c = c.strip()
    c = c[:1].upper() + c[1:]
    return c if c[-1:] in ".!?" else c + "."


def note_keywords(c):
    return [w for w in re.findall(r"[a-z0-9]+", c.lower()) if w not in NOTE_STOP]


def note_slug(c):
    return "-".join(note_keywords(c)[:3]) or "note"


def note_path(c):
    return "notes/" + note_slug(c) + ".md"


WRITE_Q = [
    "write a note that {c}", "Write a note that {c}", "note: {c}", "Note: {c}", "save a note saying {c}",
    "Save a note saying {c}", "remember in a file that {c}", "make a note that {c}", "Make a note: {c}", "take a note: {c}",
    "Take a note that {c}", "jot down that {c}", "add a note: {c}", "Add a note that {c}", "create a note saying {c}",
    "save this note: {c}", "write down: {c}", "Put in my notes that {c}", "keep a note that {c}", "New note: {c}",
    "please write a note that {c}", "Can you save a note that {c}", "write down that {c}", "Save a note: {c}",
    "Write down {c}", "Store a note: {c}", "Record a note that {c}", "Add to my notes: {c}", "Create a note: {c}",
    "Note down that {c}", "Can you note that {c}", "Make a quick note: {c}", "Please note: {c}", "File a note: {c}",
    "I want a note that says {c}", "Write a memo: {c}", "Save this as a note: {c}",
]
FILES_ERRORS_W = [("EIO", "storage failed"), ("EPERM", "the user denied files:write for files.write"), ("EINVAL", "path: must be a file path")]


def fwrite_sample(r, err=None):
    c = rand_note(r)
    if r.random() < 0.12:
        c = c + "."
    content = note_content(c)
    if r.random() < 0.15:  # an explicit path
        path = r.choice(["notes/", "notes/", "docs/", "", "todo/"]) + r.choice(
            [note_slug(c), r.choice(WORDS), r.choice(TOPIC_WORDS).replace(" ", "-"), "todo", "shopping", "ideas"]) + r.choice([".md", ".md", ".txt"])
        user = vary_t(r, r.choice(["save to {p}: {c}", "write to {p}: {c}", "Save in {p}: {c}", "Write this to {p}: {c}",
                                   "add to {p}: {c}", "Put this in {p}: {c}"]), p=path).replace("{c}", c)
    else:
        path = note_path(c)
        user = r.choice(WRITE_Q).replace("{c}", c)
    res = {"path": path, "version": r.choice([1, 1, 1, 1, 2, 3, r.randint(1, 20)])}
    return exchange(user, "files.write", {"path": path, "content": content}, res, f"Saved {path}.", err and r.choice(FILES_ERRORS_W))


QUERY_SKIP = set("buy call pick return lend pay water send renew remember bring feed take finish clean book starts opens leaves likes owes".split())


def search_query(r, c):
    """A few words of a note that a user would search for."""
    words = re.findall(r"[A-Za-z0-9]+", c)
    kws = [w for w in words if w.lower() not in NOTE_STOP and w.lower() not in QUERY_SKIP and not w.isdigit()]
    kws = kws or note_keywords(c) or ["note"]
    if len(kws) >= 2 and r.random() < 0.35:
        i = r.randrange(len(kws) - 1)
        q = kws[i] + " " + kws[i + 1]
    else:
        q = r.choice(kws)
    if r.random() < 0.2:  # copied verbatim, article included
        q = r.choice(["the ", "my "]) + q
    return q


SEARCH_Q = [
    "find my note about {q}", "Find my note about {q}", "search my files for {q}", "Search my files for {q}",
    "search my notes for {q}", "Do I have a note about {q}?", "look for {q} in my files", "Look for {q} in my notes",
    "where did I write about {q}?", "find {q} in my notes", "Find notes about {q}", "search notes for {q}",
    "Which note mentions {q}?", "find the note with {q}", "did I save anything about {q}?", "search my files: {q}",
    "Look up {q} in my notes", "Find anything about {q}", "Any notes about {q}?", "Which file talks about {q}?",
    "Search for {q}", "Is there a note on {q}?", "Check my notes for {q}", "Go through my files for {q}",
    "Have I written anything about {q}?", "Locate my note about {q}", "Dig up my notes on {q}",
]
FILES_ERRORS_R = [("EIO", "storage failed"), ("EPERM", "the user denied files:read for {t}")]


def fsearch_sample(r, err=None):
    c = rand_note(r)
    q = search_query(r, c)
    user = vary_t(r, r.choice(SEARCH_Q), q=q)
    k = r.random()
    if k < 0.2:
        hits = []
        ans = f"I found nothing about {q}."
    else:
        hits = [{"path": note_path(c), "snippet": note_content(c)}]
        if k > 0.8:
            for _ in range(r.randint(1, 2)):
                c2 = rand_note(r)
                hits.append({"path": note_path(c2), "snippet": note_content(c2)})
            ans = f"Found {len(hits)} files: " + ", ".join(h["path"] for h in hits) + "."
        else:
            ans = f"Found {hits[0]['path']}: {hits[0]['snippet']}"
    e = err and r.choice(FILES_ERRORS_R)
    e = e and (e[0], e[1].replace("{t}", "files.search"))
    return exchange(user, "files.search", {"query": q}, hits, ans, e)


def rand_path(r):
    k = r.random()
    if k < 0.55:
        return note_path(rand_note(r))
    if k < 0.7:
        return r.choice(["docs/", "projects/", "work/", "journal/"]) + r.choice(WORDS + TOPIC_WORDS).replace(" ", "-") + r.choice([".md", ".txt"])
    if k < 0.8:
        return f"journal/{r.randint(2024, 2030)}-{r.randint(1, 12):02d}-{r.randint(1, 28):02d}.md"
    if k < 0.9:
        return r.choice(["todo.md", "todo.txt", "ideas.md", "shopping.md", "readme.md", "notes.txt", "plan.md"])
    return "notes/" + r.choice(WORDS) + r.choice(["", "-" + r.choice(WORDS)]) + ".md"


READ_Q = [
    "read my note {p}", "Read my note {p}", "open {p}", "Open {p}", "what does {p} say?", "What does {p} say?",
    "show me {p}", "Show me {p}", "read {p}", "Read {p}", "What is in {p}?", "what's in {p}", "cat {p}",
    "display the file {p}", "Open the file {p}", "read the file {p} for me", "Can you read {p}?",
    "Print {p}", "Show the contents of {p}", "Let me see {p}", "What's written in {p}?", "Load {p}",
    "Give me the content of {p}", "Display {p}", "What did I write in {p}?", "Pull up {p}", "View {p}",
]


def fread_sample(r, err=None):
    c = rand_note(r)
    path = note_path(c) if r.random() < 0.5 else rand_path(r)
    content = note_content(c)
    if r.random() < 0.25:
        content += " " + note_content(rand_note(r))
    user = vary_t(r, r.choice(READ_Q), p=path)
    e = None
    if err:
        e = r.choice([("ENOENT", f"{path}: no such file"), ("ENOENT", f"{path}: no such file"), ("EPERM", "the user denied files:read for files.read"), ("EIO", "storage failed")])
    return exchange(user, "files.read", {"path": path}, {"path": path, "content": content}, f"{path} says: {content}", e)


LIST_Q_ALL = ["list my files", "List my files", "What files do I have?", "what files do I have", "show my files",
              "Show me my files.", "list all my files", "Which files are there?", "ls", "What's in my files?",
              "Show all files", "What have I saved?", "List everything in my files.", "What files are saved?",
              "Give me a list of my files.", "Display my files.", "Which files do I have?", "What's stored in my files?"]
LIST_Q_NOTES = ["what notes do I have", "What notes do I have?", "list my notes", "List my notes.", "Show my notes",
                "Which notes do I have?", "show me all my notes", "List all my notes.", "Give me a list of my notes.",
                "Which notes have I saved?", "Display my notes.", "What notes are there?"]
LIST_Q_DIR = ["list the files in {d}", "What is in {d}?", "show the files in {d}", "List {d}", "what files are in {d}",
              "Show me the folder {d}", "Which files are in {d}?", "ls {d}", "List the folder {d}", "What's inside {d}?"]


def flist_sample(r, err=None):
    k = r.random()
    if k < 0.45:
        args, prefix = {}, ""
        user = vary(r, r.choice(LIST_Q_ALL), allow_lower=False, please=False)
    elif k < 0.8:
        args, prefix = {"prefix": "notes/"}, "notes/"
        user = vary(r, r.choice(LIST_Q_NOTES), allow_lower=False, please=False)
    else:
        prefix = r.choice(["docs/", "journal/", "projects/", "work/", "notes/", "todo/"])
        args = {"prefix": prefix}
        user = vary_t(r, r.choice(LIST_Q_DIR), d=prefix)
    n = r.choice([0, 1, 1, 2, 2, 3, 3, 4, 5])
    paths = []
    while len(paths) < n:
        p = rand_path(r)
        if prefix and not p.startswith(prefix):
            p = prefix + p.split("/")[-1]
        if p not in paths:
            paths.append(p)
    res = [{"path": p, "size": r.randint(8, 900)} for p in paths]
    if n == 0:
        ans = "You have no files."
    elif n == 1:
        ans = f"You have 1 file: {paths[0]}."
    else:
        ans = f"You have {n} files: " + ", ".join(paths) + "."
    e = err and r.choice(FILES_ERRORS_R)
    e = e and (e[0], e[1].replace("{t}", "files.list"))
    return exchange(user, "files.list", args, res, ans, e)


# ----------------------------------------------------------------------------
# js (a sandboxed JavaScript evaluator); the results are computed here, in Python
# ----------------------------------------------------------------------------
JS_ERRORS = [("ETIMEDOUT", "js ran over 1000 ms"), ("EINVAL", "ReferenceError: {v} is not defined"),
             ("EINVAL", "SyntaxError: unexpected token"), ("EINVAL", "TypeError: cannot read properties of undefined")]


def js_list(r, lo=2, hi=6, a=0, b=20):
    return [r.randint(a, b) for _ in range(r.randint(lo, hi))]


def js_list_src(r, xs):
    return "[" + (", " if r.random() < 0.5 else ",").join(str(x) for x in xs) + "]"


def js_str(r, s):
    return ("'" + s + "'") if r.random() < 0.6 else ('"' + s + '"')


def js_case(r):
    """(code, value, logs) for a random JavaScript snippet."""
    a, b, c = r.randint(1, 50), r.randint(1, 20), r.randint(1, 9)
    w = r.choice(WORDS + NAMES).lower()
    k = r.randrange(30)
    sp = " " if r.random() < 0.5 else ""
    if k == 0:
        return f"{a}{sp}+{sp}{b}", a + b, None
    if k == 1:
        return f"{a}{sp}*{sp}{b}", a * b, None
    if k == 2:
        return f"{a}{sp}-{sp}{b}", a - b, None
    if k == 3:
        return f"({a}{sp}+{sp}{b}){sp}*{sp}{c}", (a + b) * c, None
    if k == 4:
        return f"{a}{sp}%{sp}{c}", a % c, None
    if k == 5:
        n = r.randint(1, 16)
        return f"2{sp}**{sp}{n}", 2 ** n, None
    if k == 6:
        if r.random() < 0.5:
            return f"Math.max({a}, {b})", max(a, b), None
        return f"Math.max({a}, {b}, {c})", max(a, b, c), None
    if k == 7:
        return f"Math.min({a}, {b})", min(a, b), None
    if k == 8:
        return f"Math.sqrt({c * c})", c, None
    if k == 9:
        x = round(r.randint(1, 999) / 10, 1)
        fn = r.choice(["round", "floor", "ceil"])
        import math
        v = math.floor(x + 0.5) if fn == "round" else math.floor(x) if fn == "floor" else math.ceil(x)
        return f"Math.{fn}({x})", v, None
    if k == 10:
        xs = js_list(r)
        return f"{js_list_src(r, xs)}.map(x => x{sp}*{sp}{c})", [x * c for x in xs], None
    if k == 11:
        xs = js_list(r)
        return f"{js_list_src(r, xs)}.map(x => x{sp}+{sp}{c})", [x + c for x in xs], None
    if k == 12:
        xs = js_list(r)
        t = r.randint(0, 15)
        return f"{js_list_src(r, xs)}.filter(x => x > {t})", [x for x in xs if x > t], None
    if k == 13:
        xs = js_list(r)
        return f"{js_list_src(r, xs)}.reduce((a, b) => a + b, 0)", sum(xs), None
    if k == 14:
        xs = js_list(r, 1, 8)
        return f"{js_list_src(r, xs)}.length", len(xs), None
    if k == 15:
        xs = js_list(r)
        return f"{js_list_src(r, xs)}.reverse()", xs[::-1], None
    if k == 16:
        xs = js_list(r)
        return f"{js_list_src(r, xs)}.sort((a, b) => a - b)", sorted(xs), None
    if k == 17:
        xs = js_list(r)
        t = r.choice(xs + [r.randint(0, 20)])
        return f"{js_list_src(r, xs)}.includes({t})", t in xs, None
    if k == 18:
        return f"{js_str(r, w)}.toUpperCase()", w.upper(), None
    if k == 19:
        return f"{js_str(r, w.capitalize())}.toLowerCase()", w.lower(), None
    if k == 20:
        return f"{js_str(r, w)}.length", len(w), None
    if k == 21:
        n = r.randint(2, 3)
        return f"{js_str(r, w)}.repeat({n})", w * n, None
    if k == 22:
        ws = r.sample(WORDS, r.randint(2, 4))
        return f"{js_str(r, ' '.join(ws))}.split(' ')", ws, None
    if k == 23:
        return f"{js_str(r, w)}.split('').reverse().join('')", w[::-1], None
    if k == 24:
        s = rand_sentence(r, 1, 4).replace("'", "").replace('"', "")
        return f"console.log({js_str(r, s)})", None, [s]
    if k == 25:
        return f"console.log({a}{sp}+{sp}{b})", None, [str(a + b)]
    if k == 26:
        n = r.randint(1, 5)
        return f"for (let i = 1; i <= {n}; i++) console.log(i)", None, [str(i) for i in range(1, n + 1)]
    if k == 27:
        return f"let x = {a}; x{sp}*{sp}{b}", a * b, None
    if k == 28:
        s = r.choice(WORDS)
        return f"console.log({js_str(r, s)}); {a}{sp}+{sp}{b}", a + b, [s]
    xs = js_list(r)
    sep = r.choice(["-", ", ", "+", "/"])
    return f"{js_list_src(r, xs)}.join('{sep}')", sep.join(str(x) for x in xs), None


JS_Q = [
    "run this JS: {c}", "Run this JS: {c}", "run this javascript: {c}", "Run this JavaScript: {c}", "execute: {c}",
    "Execute: {c}", "run {c}", "Run {c}", "evaluate this JavaScript: {c}", "Evaluate in JS: {c}", "js: {c}",
    "Run this code: {c}", "run the code {c}", "What does {c} return in JS?", "what does this JS print: {c}",
    "Execute this JavaScript: {c}", "Can you run {c} in JavaScript?", "node: {c}",
    "Run in JS: {c}", "Evaluate {c}", "What is the output of {c}?", "Try this code: {c}", "Execute the JavaScript {c}",
    "Run the following: {c}", "Evaluate the JS expression {c}", "What do I get from {c} in JavaScript?",
    "Please execute {c}", "JavaScript: {c}", "Run this snippet: {c}", "Test this JS: {c}",
]


def js_sample(r, err=None):
    code, value, logs = js_case(r)
    e = None
    if err:
        e = r.choice(JS_ERRORS)
        if e[0] == "ETIMEDOUT" and r.random() < 0.6:
            code = r.choice(["while (true) {}", "while(true){}", "for (;;) {}", "while (1) { x++ }"])
        elif "{v}" in e[1]:
            v = r.choice(["x", "y", "foo", "total", "data"])
            code = r.choice([f"{v} + 1", f"{v}*2", f"Math.max({v}, 3)", f"{v}.length"])
            e = (e[0], e[1].replace("{v}", v))
    user = r.choice(JS_Q).replace("{c}", code)
    res = {"value": value}
    if logs is not None:
        res["logs"] = logs
        ans = "It printed: " + ", ".join(logs)
        if value is not None:
            ans += ". The result is " + js_json(value) + "."
    else:
        ans = "The result is " + js_json(value) + "."
    return exchange(user, "js", {"code": code}, res, ans, e)


# ----------------------------------------------------------------------------
# web.read and fetch
# ----------------------------------------------------------------------------
PORTS = [8000, 8080, 8123, 3000, 5173, 4000, 9000, 8888, 5000, 8081, 3001, 7000]
CITIES = ["Kyoto", "Lisbon", "Oslo", "Cairo", "Lima", "Prague", "Vienna", "Seoul", "Dublin", "Quebec", "Hanoi", "Porto",
          "Bergen", "Krakow", "Nairobi", "Havana", "Sevilla", "Tallinn", "Zurich", "Marrakesh", "Osaka", "Bruges"]
SEASONS = ["spring", "summer", "autumn", "winter"]
WEB_NOUNS = ["garden", "river", "market", "museum", "bridge", "train", "forest", "library", "festival", "robot",
             "kernel", "browser", "server", "recipe", "bread", "coffee", "bicycle", "mountain", "lake", "castle",
             "harbor", "school", "team", "city", "island", "app", "update", "model", "game", "song"]
WEB_ADJ = ["old", "new", "quiet", "busy", "small", "big", "famous", "green", "bright", "ancient", "modern", "local", "free", "fast"]
WEB_VERBS = ["opens", "closes", "grows", "changes", "starts", "ends", "moves", "returns", "shines", "wins", "fails", "waits"]
SLUG_WORDS = ["news", "guide", "intro", "about", "hello", "status", "blog", "story", "recipe", "notes", "faq", "help", "report",
              "update", "review", "weather", "travel", "menu", "events", "team", "pricing", "docs", "release", "tips"]


def rand_port(r):
    """Half the time a common dev port, else any 2- to 5-digit port (the model copies digit by digit)."""
    if r.random() < 0.5:
        return r.choice(PORTS)
    return r.choice([r.randint(10, 99), r.randint(100, 999), r.randint(1000, 9999), r.randint(10000, 65535), r.randint(80, 65535)])


def rand_host(r):
    k = r.random()
    if k < 0.3:
        return f"127.0.0.1:{rand_port(r)}"
    if k < 0.5:
        return f"localhost:{rand_port(r)}"
    return r.choice(["example.com", "www.example.org", "example.net", "en.wikipedia.org", "news.example.com",
                     f"{r.choice(WORDS)}.com", f"blog.{r.choice(WORDS)}.dev", f"docs.{r.choice(WORDS)}.io",
                     f"www.{r.choice(WORDS)}{r.choice(['', 'news', 'hub'])}.org", "www.bbc.com", "github.com"])


def rand_url(r, api=False):
    host = rand_host(r)
    local = host.startswith(("127.", "localhost"))
    scheme = "http" if local and r.random() < 0.9 else r.choice(["https", "https", "http"])
    if api:
        path = r.choice(["/api/status", "/health", "/ping", f"/api/{r.choice(SLUG_WORDS)}", f"/v1/{r.choice(WEB_NOUNS)}s/{r.randint(1, 999)}",
                         "/data.json", f"/{r.choice(SLUG_WORDS)}.json", f"/{r.choice(SLUG_WORDS)}.txt", "/api/items", f"/api/users/{r.randint(1, 99)}", "/"])
    elif host == "en.wikipedia.org":
        path = "/wiki/" + r.choice(CITIES + [w.capitalize() for w in WEB_NOUNS])
    else:
        s1, s2 = r.choice(SLUG_WORDS + CITIES + WEB_NOUNS).lower(), r.choice(SLUG_WORDS + WEB_NOUNS)
        path = r.choice([f"/{s1}.html", f"/{s1}", f"/{s1}/{s2}", "/" + r.choice("abcdefgxyz"), f"/articles/{r.randint(2020, 2030)}/{s1}-{s2}",
                         f"/posts/{r.randint(1, 999)}", "/", "/index.html", f"/blog/{s1}-{s2}", f"/{s1}-{s2}.html"])
    return f"{scheme}://{host}{path}"


def rand_page(r, url):
    city, season = r.choice(CITIES), r.choice(SEASONS)
    noun, noun2 = r.sample(WEB_NOUNS, 2)
    adj = r.choice(WEB_ADJ)
    if "wikipedia.org/wiki/" in url:
        topic = url.rsplit("/", 1)[1]
        title = f"{topic} - Wikipedia"
        first = f"{topic} is a {adj} {noun} in the {r.choice(['north', 'south', 'east', 'west'])}."
    else:
        k = r.randrange(6)
        if k == 0:
            title = f"{city} in {season}"
            first = f"{city} is {r.choice(['busy', 'quiet', 'cold', 'warm', 'green', 'beautiful'])} in {season}."
        elif k == 1:
            title = f"How to fix a {noun}"
            first = f"First, check the {noun2} and the {noun}."
        elif k == 2:
            title = f"The {adj} {noun}"
            first = f"The {adj} {noun} {r.choice(WEB_VERBS)} every {r.choice(DAYS)}."
        elif k == 3:
            title = f"{r.choice(NAMES)}'s {r.choice(['blog', 'notes', 'diary', 'page'])}"
            first = f"Today I {r.choice(['visited', 'built', 'found', 'fixed', 'painted'])} a {adj} {noun}."
        elif k == 4:
            title = f"{noun.capitalize()} news"
            first = f"The {noun} {r.choice(WEB_VERBS)} on {r.choice(MONTHS)} {r.randint(1, 28)}."
        else:
            title = f"Release {r.randint(1, 9)}.{r.randint(0, 20)}"
            first = f"This release makes the {noun} {r.choice(['faster', 'smaller', 'safer', 'simpler'])}."
    rest = [f"{x}." for x in [
        f"The {r.choice(WEB_NOUNS)} is {r.choice(WEB_ADJ)}", f"Many people {r.choice(['visit', 'like', 'use', 'read about'])} the {r.choice(WEB_NOUNS)}",
        f"It {r.choice(WEB_VERBS)} at {r.randint(1, 12)} {r.choice(['am', 'pm'])}", f"Tickets cost {r.randint(2, 90)} euros",
        " ".join(r.choice(WORDS) for _ in range(r.randint(3, 7))).capitalize()]]
    r.shuffle(rest)
    return title, " ".join([first] + rest[:r.randint(0, 2)]), first


WEB_Q = [
    "read this page {u}", "Read this page: {u}", "what does {u} say?", "What does {u} say?", "summarize {u}",
    "Summarize {u}", "Read {u}", "open {u} and tell me what it says", "What is on {u}?", "Summarize this page: {u}",
    "give me the gist of {u}", "read the article at {u}", "What's on the page {u}?", "tl;dr {u}", "Read {u} for me",
    "what is {u} about?", "Can you read {u}?",
    "Open {u} and summarize it", "Tell me what {u} is about", "What's the content of {u}?", "Check out {u}",
    "Look at {u}", "Browse {u}", "Read the web page {u}", "Go to {u} and tell me what it says", "Skim {u}",
    "Give me a summary of {u}", "What does the page at {u} say?", "Visit {u}",
]
FETCH_Q = ["fetch {u}", "Fetch {u}", "GET {u}", "get {u}", "make a GET request to {u}", "call the API at {u}",
           "request {u}", "curl {u}", "Send a GET request to {u}", "Fetch the URL {u}", "do a GET on {u}", "ping {u}",
           "Hit {u}", "Query {u}", "Send a request to {u}", "What does the API at {u} return?", "Make an HTTP request to {u}",
           "Check the endpoint {u}", "Call {u}", "Request the URL {u}", "HTTP GET {u}", "Fetch the data at {u}"]
POST_Q = ["post {b} to {u}", "POST {b} to {u}", "send {b} to {u} with POST", "Make a POST request to {u} with body {b}",
          "post \"{b}\" to {u}", "Send a POST to {u} with {b}", "Submit {b} to {u}", "POST to {u} with body {b}",
          "Send {b} to {u} as a POST request"]
FETCH_BODIES = [
    ("application/json", '{"ok":true}'), ("application/json", '{"status":"up"}'), ("application/json", '{"count":3}'),
    ("application/json", "[1,2,3]"), ("text/plain", "pong"), ("text/plain", "OK"), ("text/plain", "hello world"),
    ("text/html", "<h1>Hello</h1>"), ("application/json", '{"version":"1.2.0"}'), ("text/plain", "ready"),
]


def rand_fetch_body(r):
    k = r.random()
    if k < 0.5:
        return r.choice(FETCH_BODIES)
    if k < 0.8:
        key = r.choice(["id", "name", "user", "items", "temp", "ok", "value", "city", "error"])
        val = r.choice([r.randint(0, 999), f'"{r.choice(NAMES + CITIES)}"', "true", "false", "null"])
        return "application/json", "{" + f'"{key}":{val}' + "}"
    return "text/plain", " ".join(r.choice(WORDS) for _ in range(r.randint(1, 5)))


def web_errors(r, tool, url):
    return r.choice([("EPERM", f"the user denied network:{host_of(url)} for {tool}"), ("EPERM", f"the user denied network:{host_of(url)} for {tool}"),
                     ("EIO", "fetch failed: connection refused"), ("ETIMEDOUT", f"{tool} ran over 30000 ms"),
                     ("EIO", "HTTP 404 Not Found"), ("EIO", "blocked by CORS; set a proxy in Permissions")])


def webread_sample(r, err=None):
    url = rand_url(r)
    title, text, first = rand_page(r, url)
    user = r.choice(WEB_Q).replace("{u}", url)
    res = {"url": url, "title": title, "text": text}
    return exchange(user, "web.read", {"url": url}, res, f"{title}: {first}", err and web_errors(r, "web.read", url))


def fetch_sample(r, err=None):
    url = rand_url(r, api=True)
    if r.random() < 0.4:
        body = r.choice(["hello", "ping", "test", "name=Ada", "hi there", "42", r.choice(WORDS), '{"a":1}', '{"name":"Ada"}', f"id={r.randint(1, 99)}"])
        user = r.choice(POST_Q).replace("{b}", body).replace("{u}", url)
        args = {"url": url, "method": "POST", "body": body}
        status = r.choice([200, 200, 201, 201, 400, 500])
    else:
        user = r.choice(FETCH_Q).replace("{u}", url)
        args = {"url": url}
        status = r.choice([200, 200, 200, 200, 404, 500, 403])
    if status == 404:
        ctype, rbody = "text/plain", "Not Found"
    elif status == 500:
        ctype, rbody = "text/plain", "Internal Server Error"
    elif status == 403:
        ctype, rbody = "text/plain", "Forbidden"
    elif status == 400:
        ctype, rbody = "application/json", '{"error":"bad request"}'
    elif status == 201:
        ctype, rbody = "application/json", r.choice(['{"created":true}', '{"id":' + str(r.randint(1, 999)) + "}"])
    else:
        ctype, rbody = rand_fetch_body(r)
    res = {"status": status, "contentType": ctype, "body": rbody}
    return exchange(user, "fetch", args, res, f"The server answered {status}: {rbody}", err and web_errors(r, "fetch", url))


# ----------------------------------------------------------------------------
# geolocation (a device in a tab)
# ----------------------------------------------------------------------------
GEO_Q = [
    "Where am I?", "where am I?", "where am i", "What is my location?", "what is my location",
    "What's my location?", "Where am I right now?", "What is my current location?", "Find my location.",
    "Can you tell me where I am?", "Get my coordinates.", "What are my coordinates?", "Show my location",
    "Locate me.", "Where are we?", "What is my latitude and longitude?", "Where is this device?",
    "what's my position", "Tell me my location.", "Which place am I at?",
    "Where's this device located?", "Get my GPS position.", "Pinpoint my location.", "What are my GPS coordinates?",
    "Where in the world am I?", "Give me my current position.", "Look up where I am.", "Share my location.",
    "What's my latitude?", "Show me where I am on the map.",
]
GEO_ERRORS = [("EPERM", "the user denied geolocation"), ("ENODEV", "no open tab can serve geolocation"),
              ("ETIMEDOUT", "geolocation ran over 10000 ms"), ("EPERM", "the user denied geolocation for geolocation"),
              ("ETIMEDOUT", "geolocation ran over 30000 ms")]


def rand_coord(r, lim):
    v = round(r.uniform(-lim, lim), 2)
    if r.random() < 0.1:
        v = round(r.uniform(-lim, lim), 4)
    if v == 0:
        v = 0.5
    return v


def geo_sample(r, err=None):
    lat, lon = rand_coord(r, 89), rand_coord(r, 179)
    q = vary(r, r.choice(GEO_Q), allow_lower=False)
    return exchange(q, "geolocation", {}, {"latitude": lat, "longitude": lon, "accuracy": r.choice([1000, 1000, 1000, r.randint(5, 5000)])},
                    f"You are at latitude {js_num(lat)}, longitude {js_num(lon)}.", err and r.choice(GEO_ERRORS))


# ----------------------------------------------------------------------------
# devices in a tab: camera, clipboard, notifications, speech, file pickers
# ----------------------------------------------------------------------------
def dev_errors(r, tool, cap, extra=()):
    return r.choice([("EPERM", f"the user denied {cap} for {tool}"), ("EPERM", f"the user denied {cap} for {tool}"),
                     ("ENODEV", f"no open tab can serve {tool}"), ("ETIMEDOUT", f"{tool} ran over 30000 ms")] + list(extra))


IMPERATIVE = set("""add subtract multiply divide sum calculate compute solve evaluate work figure tell give find convert turn express
change show list read open display print load view pull run execute try test fetch get send make call request query hit check
write save note take jot record store create keep put copy place remind notify ping alert speak say pronounce export download
import upload summarize browse visit look search locate dig go skim scan snap capture photograph use grab shoot click""".split())


def politely(r, q):
    """Indirect / polite forms of a request (the copied slots keep their case)."""
    k = r.random()
    if k < 0.75:
        return q
    low = q[:1].lower() + q[1:]
    if k < 0.85 and low.split(" ", 1)[0].rstrip(":,") in IMPERATIVE:
        return r.choice(["Could you ", "Can you ", "Please ", "I need you to ", "Would you ", "Hey AIOS, ", "hey aios, ",
                         "AIOS, ", "Hi, ", "Quick: "]) + low
    return r.choice(["Hey AIOS, ", "hey aios, ", "AIOS, ", "OK, ", "Hi! "]) + low


CAMERA_SIZES = [(640, 480), (640, 480), (1280, 720), (1920, 1080), (480, 640), (720, 1280), (1024, 768)]
SNAP_Q = [
    "Take a photo.", "take a photo", "Take a picture.", "take a picture", "Snap a picture.", "snap a photo",
    "Capture an image with the camera.", "Photograph this.", "Take a photo with the camera.", "Can you take a picture?",
    "Take a snapshot.", "Use the camera to take a photo.", "Shoot a photo.", "Grab a picture with the webcam.",
    "Click a photo.", "Take a selfie.", "Capture a photo.", "Take a pic.", "Please take a photo of this.",
    "Snap a shot with the camera.", "Get a picture from the camera.", "Take a camera shot.", "Camera: take a photo",
]


def snap_sample(r, err=None):
    dt = rand_dt(r) + datetime.timedelta(seconds=r.randint(0, 59))
    path = "camera/photo-" + dt.strftime("%Y%m%d-%H%M%S") + ".jpg"
    w, h = r.choice(CAMERA_SIZES)
    res = {"path": path, "width": w, "height": h, "bytes": r.randint(15000, 450000)}
    e = err and dev_errors(r, "camera.snapshot", "camera", [("ENODEV", "no camera is available in any open tab")] * 2)
    return exchange(vary(r, r.choice(SNAP_Q), please=False), "camera.snapshot", {}, res,
                    f"I took a photo and saved it as {path}.", e)


OCR_LINES = [
    "EXIT", "PLEASE KNOCK", "NO PARKING", "OPEN 9 TO 5", "Open {h} to {h2}", "Room {n3}", "Meeting at {h} pm", "Milk 2 L",
    "Bread", "Eggs x{n1}", "SALE {n2}% OFF", "Coffee {p} EUR", "Call {phone}", "Platform {n1}", "Gate B{n2}", "Wet floor",
    "Do not enter", "Back in {n2} minutes", "Fresh bread daily", "PUSH", "PULL", "Welcome", "Closed on {day}s",
    "Dr. {name} - Room {n3}", "Best before {dd}/{mo}/{yyyy}", "Total: {p}", "WiFi: {secret}{n2}", "Lost cat: {cat}",
    "Floor {n1}", "Keep calm and carry on", "Bus {n2} to {place}", "Ticket {d4}", "Hello world", "{name}'s desk",
    "Pick up kids at {h}:{mm}", "STOP", "Quiet please", "Tel. {phone}", "Price {p}", "Apples {p} per kg",
    "Return by {month} {d}", "{item}", "{item} - {p}", "Staff only", "Mind the gap", "Rent is due on the {d}th",
    "Main Street {n2}", "Order #{d4}", "Password: {secret}{n2}", "Out of order", "Happy birthday {name}!",
    "Do not disturb", "Please wait here", "Speed limit {n2}", "Exit {n1}", "Today's special: {item}",
    "Call me back, {name}", "Buy {item}", "Lab {n1}0{n1}", "Checkout {n1}", "Parking {h} am - {h2} pm",
]


def ocr_line(r):
    t = r.choice(OCR_LINES)
    return t.format(h=r.randint(1, 12), h2=r.randint(1, 12), n1=r.randint(1, 9), n2=r.randint(10, 99), n3=r.randint(100, 999),
                    d4=r.randint(1000, 9999), p=r.choice([f"{r.randint(1, 99)}.{r.randint(0, 99):02d}", f"${r.randint(1, 99)}", f"{r.randint(1, 9)},{r.randint(0, 9)}0"]),
                    phone=r.choice([f"{r.randint(100, 999)} {r.randint(100, 999)} {r.randint(1000, 9999)}", f"0{r.randint(100, 999)}-{r.randint(100000, 999999)}", f"+{r.randint(1, 49)} {r.randint(10, 99)} {r.randint(1000000, 9999999)}"]),
                    day=r.choice(DAYS), name=r.choice(NAMES), dd=f"{r.randint(1, 28):02d}", mo=f"{r.randint(1, 12):02d}",
                    yyyy=r.randint(2024, 2030), secret=r.choice(SECRET_WORDS), cat=r.choice(CAT_NAMES), place=r.choice(CITIES),
                    month=r.choice(MONTHS), d=r.randint(1, 28), item=r.choice(ITEMS).capitalize(), mm=f"{r.randint(0, 59):02d}")


def ocr_text(r):
    k = r.random()
    if k < 0.12:
        lines = [rand_sentence(r, 2, 7)]
    else:
        lines = [ocr_line(r) for _ in range(r.choices([1, 2, 3], [0.55, 0.3, 0.15])[0])]
    return lines


READ_CAM_Q = [
    "What does this say?", "what does this say", "Read this sign.", "read this sign", "What's written here?",
    "Read the text in front of the camera.", "Can you read this label?", "What does the paper say?",
    "What does the sign say?", "Read this for me.", "What's on this label?", "Read what I'm holding up.",
    "What text do you see?", "Scan this text.", "Can you read this note?", "What is written on this?",
    "Read the words in front of you.", "Use the camera to read this.", "What does this label say?",
    "Read the sign in front of me.", "OCR this.", "Read this page with the camera.", "What's written on the board?",
]


def camread_sample(r, err=None):
    if r.random() < 0.1:
        res = {"text": "", "confidence": 0}
        ans = "I could not read any text in front of the camera."
    else:
        lines = ocr_text(r)
        res = {"text": "\n".join(lines), "confidence": round(r.uniform(0.45, 0.99), 2)}
        ans = f'The camera sees this text: "{" ".join(lines)}".'
    e = err and dev_errors(r, "camera.read", "camera", [("ENODEV", "no camera is available in any open tab")] * 2)
    return exchange(vary(r, r.choice(READ_CAM_Q), please=False), "camera.read", {}, res, ans, e)


def clip_text(r):
    k = r.random()
    if k < 0.3:
        return note_content(rand_note(r)) if r.random() < 0.5 else rand_note(r)
    if k < 0.5:
        return rand_sentence(r, 1, 8)
    if k < 0.6:
        return f"{r.choice(NAMES).lower()}{r.choice(['', '.', '_'])}{r.choice(WORDS)}@{r.choice(['example.com', 'mail.com', 'aios.dev'])}"
    if k < 0.7:
        return rand_url(r)
    if k < 0.8:
        return r.choice([str(r.randint(0, 99999)), f"{r.randint(100, 999)} {r.randint(100, 999)} {r.randint(1000, 9999)}",
                         f"{r.randint(1, 999)}.{r.randint(0, 99)}", f"{r.choice(SECRET_WORDS)}{r.randint(10, 99)}"])
    if k < 0.88:
        return js_case(r)[0]
    return ocr_line(r)


CLIP_READ_Q = [
    "Paste.", "paste", "What's on my clipboard?", "what is on my clipboard", "What did I copy?", "Read my clipboard.",
    "Show me my clipboard.", "What's in the clipboard?", "Paste what I copied.", "Tell me what I copied.",
    "Read the clipboard.", "Check my clipboard.", "What text is on the clipboard?", "Paste my clipboard here.",
    "What do I have copied?", "Show the clipboard contents.", "Can you paste it?", "What did I just copy?",
]


def clipread_sample(r, err=None):
    if r.random() < 0.1:
        x, ans = "", "Your clipboard is empty."
    else:
        x = clip_text(r)
        ans = f'Your clipboard says: "{x}"'
    e = err and dev_errors(r, "clipboard.read", "clipboard:read")
    return exchange(vary(r, r.choice(CLIP_READ_Q), please=False), "clipboard.read", {}, {"text": x}, ans, e)


CLIP_WRITE_Q = [
    "copy {x} to my clipboard", "Copy {x} to my clipboard.", "Copy {x} to the clipboard", "put {x} on the clipboard",
    "Put {x} on my clipboard.", "copy this: {x}", "Copy this: {x}", "copy the text {x}", "Copy the text {x}",
    "Copy \"{x}\" to my clipboard", "Put \"{x}\" on the clipboard.", "Copy to clipboard: {x}", "clipboard: {x}",
    "Place {x} on the clipboard", "Copy \"{x}\"", "Can you copy {x} to the clipboard?", "Save {x} to my clipboard",
    "Add {x} to the clipboard", "copy {x}", "Copy this text to the clipboard: {x}",
]


def clipwrite_sample(r, err=None):
    x = clip_text(r).replace('"', "")
    x = x.strip() or "hello"
    user = vary_t(r, r.choice(CLIP_WRITE_Q)).replace("{x}", x)
    e = err and dev_errors(r, "clipboard.write", "clipboard:write")
    return exchange(user, "clipboard.write", {"text": x}, {"written": len(x.encode("utf-16-le")) // 2},
                    f'I copied "{x}" to the clipboard.', e)


NOTIFY_ACTIONS = [
    "call {person}", "call {person}", "buy {item}", "water the plants", "take my pills", "feed the cat", "pick up {item} from {place}",
    "pay the {bill} bill", "send the report to {name}", "check the oven", "stretch", "drink some water",
    "leave for {place}", "book a table for {n1}", "return the {thing} to {name}", "walk the dog", "call {name} back",
    "stand up", "take a break", "start the meeting with {name}", "charge my {thing}", "bring the {thing}",
    "text {name}", "lock the door", "turn off the oven", "go to {place} at {h}", "email {name} about the {topic}",
    "finish the {topic} slides", "clean the {room}",
]
NOTIFY_FACTS = [
    "the tea is ready", "the laundry is done", "the meeting starts in {n2} minutes", "{name} is here", "the pizza is ready",
    "the oven is hot", "it is time to go", "the download finished", "the bus leaves at {h}:{mm}", "the build passed",
    "{name}'s birthday is today", "the timer is done", "dinner is ready", "the {topic} starts at {h} pm",
    "the parcel has arrived", "it is {h} o'clock", "the rice is cooked", "the train is late", "the backup is complete",
]


def notify_phrase(r, kind):
    t = r.choice(NOTIFY_ACTIONS if kind == "act" else NOTIFY_FACTS)
    return t.format(person=r.choice(PEOPLE + NAMES), item=r.choice(ITEMS), place=r.choice(PLACES), bill=r.choice(BILLS),
                    name=r.choice(NAMES), n1=r.randint(2, 9), n2=r.randint(2, 59), thing=r.choice(THINGS), h=r.randint(1, 12),
                    mm=r.choice(["00", "15", "30", "45"]), topic=r.choice(TOPIC_WORDS), room=r.choice(ROOMS))


NOTIFY_ACT_Q = ["remind me to {x}", "Remind me to {x}.", "Please remind me to {x}", "set a reminder to {x}",
                "Set a reminder to {x}.", "Send me a reminder to {x}", "Don't let me forget to {x}", "remind me to {x}!"]
NOTIFY_FACT_Q = ["notify me that {x}", "Notify me that {x}.", "send me a notification saying {x}",
                 "Send me a notification saying {x}", "Send a notification: {x}", "ping me with {x}", "Ping me with {x}",
                 "alert me: {x}", "Alert me: {x}", "Show a notification that says {x}", "Pop up a notification: {x}",
                 "notification: {x}", "Give me a notification that {x}", "Let me know with a notification that {x}"]


def notify_sample(r, err=None):
    if r.random() < 0.55:
        x = notify_phrase(r, "act")
        user = vary_t(r, r.choice(NOTIFY_ACT_Q)).replace("{x}", x)
    else:
        x = notify_phrase(r, "fact") if r.random() < 0.75 else rand_note(r)
        user = vary_t(r, r.choice(NOTIFY_FACT_Q)).replace("{x}", x)
    e = err and dev_errors(r, "notify", "notify")
    return exchange(user, "notify", {"title": x}, {"shown": True}, f"I sent you a notification: {x}.", e)


VOICES = ["Google US English", "Google UK English Female", "Google UK English Male", "Samantha", "Daniel", "Karen",
          "Microsoft David", "Microsoft Zira", "Alex", "Moira", "English (America)", "en-US-Standard-C"]
SPEAK_Q = ["say {x} aloud", "Say {x} aloud.", "say {x} out loud", "Say {x} out loud.", "speak {x}", "Speak: {x}",
           "read {x} aloud", "Read {x} aloud.", "Read this out loud: {x}", "read this aloud: {x}", "pronounce {x}",
           "Pronounce {x}.", "Say \"{x}\" with your voice", "Say it aloud: {x}", "Use your voice to say {x}",
           "Speak the words {x}", "Read aloud: {x}", "Say \"{x}\" out loud", "Out loud, say {x}", "Speak this: {x}"]


def speak_sample(r, err=None):
    k = r.random()
    if k < 0.5:
        x = rand_sentence(r, 1, 8).rstrip(".!?")
    elif k < 0.7:
        x = r.choice(["good morning", "hello everyone", "happy birthday", "welcome home", "thank you", "good night",
                      "dinner is ready", "time to wake up", "hello world", "see you soon"] + NAMES)
        if r.random() < 0.5:
            x = x[:1].upper() + x[1:]
    elif k < 0.85:
        x = note_content(rand_note(r)).rstrip(".")
    else:
        x = r.choice([str(r.randint(0, 9999)), ocr_line(r), r.choice(CITIES), r.choice(WORDS)])
    x = x.replace('"', "") or "hello"
    user = vary_t(r, r.choice(SPEAK_Q)).replace("{x}", x)
    e = err and dev_errors(r, "speak", "speak", [("ENODEV", "this browser has no voice for speech synthesis")] * 2)
    return exchange(user, "speak", {"text": x}, {"spoken": True, "voice": r.choice(VOICES)}, f'I said it aloud: "{x}".', e)


FILE_TYPES = [(".txt", "text/plain"), (".md", "text/markdown"), (".csv", "text/csv"), (".json", "application/json"),
              (".png", "image/png"), (".pdf", "application/pdf"), (".jpg", "image/jpeg")]
IMPORT_Q = [
    "Let me give you a file.", "let me give you a file", "Import a file from my computer.", "I want to upload a document.",
    "Open a file from my disk.", "Upload a file.", "upload a file", "I have a file for you.", "Let me pick a file to import.",
    "Add a file from my computer to my files.", "I'd like to import a file.", "Import a document.", "Can I upload a file?",
    "Bring in a file from my computer.", "Load a file from my disk.", "I want to send you a file.", "Import a file.",
    "Let me upload something.", "Pick a file from my computer.", "Copy a file from my computer into my files.",
    "I'd like to give you a document.", "Open the file picker.",
]


def import_sample(r, err=None):
    ext, typ = r.choice(FILE_TYPES)
    base = r.choice([r.choice(SLUG_WORDS), r.choice(TOPIC_WORDS).replace(" ", "-"), r.choice(WORDS),
                     f"{r.choice(SLUG_WORDS)}-{r.randint(1, 99)}", f"{r.choice(WORDS)}_{r.choice(WORDS)}",
                     f"IMG_{r.randint(1000, 9999)}", f"{r.choice(SLUG_WORDS)}-{r.randint(2020, 2030)}"])
    name = base + ext
    res = {"path": "imports/" + name, "name": name, "bytes": r.choice([r.randint(10, 999), r.randint(1000, 99999), r.randint(100000, 5000000)]), "type": typ}
    e = err and dev_errors(r, "files.import", "files:io", [("ECANCELED", "the user cancelled the file picker")] * 3)
    return exchange(vary(r, r.choice(IMPORT_Q), please=False), "files.import", {}, res,
                    f"I saved the file you picked as {res['path']} ({res['bytes']} bytes).", e)


EXPORT_Q = [
    "save {p} to my computer", "Save {p} to my computer.", "export {p}", "Export {p}", "download {p}", "Download {p}",
    "give me a copy of {p} on my disk", "Export {p} to my disk.", "Download the file {p}", "Save a copy of {p} on my computer",
    "Let me download {p}", "I want {p} on my computer.", "Export the file {p}", "Save {p} to disk", "Put {p} on my disk",
    "Can I download {p}?", "Send {p} to my downloads", "Export {p} so I can keep it",
]


def export_path(r):
    k = r.random()
    if k < 0.55:
        return rand_path(r)
    if k < 0.7:
        dt = rand_dt(r) + datetime.timedelta(seconds=r.randint(0, 59))
        return "camera/photo-" + dt.strftime("%Y%m%d-%H%M%S") + ".jpg"
    ext = r.choice(FILE_TYPES)[0]
    return r.choice(["reports/", "imports/", "docs/", "data/", "exports/", ""]) + r.choice(
        [r.choice(SLUG_WORDS), f"q{r.randint(1, 4)}", r.choice(TOPIC_WORDS).replace(" ", "-"), f"{r.choice(WORDS)}-{r.randint(1, 99)}"]) + ext


def export_sample(r, err=None):
    p = export_path(r)
    name = p.split("/")[-1]
    if r.random() < 0.1:
        stem, dot, ext = name.rpartition(".")
        name = r.choice([f"{stem} (1).{ext}", f"{stem}-copy.{ext}", f"my-{stem}.{ext}"]) if dot else name
    user = vary_t(r, r.choice(EXPORT_Q)).replace("{p}", p)
    e = err and dev_errors(r, "files.export", "files:io", [("ECANCELED", "the user cancelled the file picker")] * 3 + [("ENOENT", f"{p}: no such file")])
    return exchange(user, "files.export", {"path": p}, {"saved": True, "name": name, "bytes": r.randint(8, 90000)},
                    f"I exported {p}; you saved it as {name}.", e)


# ----------------------------------------------------------------------------
# honest refusals: things the built-in model cannot do (a larger model can)
# ----------------------------------------------------------------------------
CANT_TOPICS = ["climate change", "the French revolution", "my summer holiday", "friendship", "dogs", "the history of Rome",
               "space travel", "artificial intelligence", "the moon landing", "coffee", "football", "my hometown",
               "social media", "the Roman empire", "electric cars", "a dragon", "love", "the war", "recycling", "my school"]
CANT_Q = [
    "Write an essay about {t}.", "write an essay on {t}", "Write a 500-word essay on {t}.", "Write a poem about {t}.",
    "write a poem about {t}", "Write a long story about {t}.", "Compose a song about {t}.", "Write a novel about {t}.",
    "Write a speech about {t}.", "Write a blog post about {t}.", "Draft a report on {t}.", "Write me a sonnet about {t}.",
    "Translate '{s}' into French.", "Translate this to Spanish: {s}", "How do you say '{s}' in German?",
    "translate {s} to Japanese", "Translate this text into Italian: {s}",
    "Summarize this article: {s}. {s2}.", "Summarize the news for me.", "Give me a summary of the book {b}.",
    "Summarize this long document for me.", "What's the plot of {b}? Summarize it.",
    "Plan a trip to {c}.", "Plan my week.", "Make me a 3-day itinerary for {c}.", "Plan a holiday in {c} for me.",
    "Write code for a {app} app.", "Build me a website.", "Write a Python script that sorts my files.",
    "Fix the bug in my code.", "Write a program for a {app}.", "Create an app that tracks my {app}.",
    "What medicine should I take for a headache?", "Is this mole dangerous?", "Can I sue my landlord?",
    "Give me legal advice about my contract.", "Should I invest in bitcoin?", "Diagnose my symptoms.",
    "How much of this drug can I take?", "Do I need a lawyer for my divorce?",
    "Send an email to {n}.", "Email my boss that I am sick.", "Text {n} that I'm late.", "Call {p}.", "Phone {n}.",
    "Send a message to {n}.", "Call {n} for me.",
    "Play some music.", "Play {song}.", "Turn on the lights.", "Turn off the TV.", "Set the thermostat to 21 degrees.",
    "Book a flight to {c}.", "Order a pizza.", "Record a video.", "Film this.", "Buy {i} online.", "Open Spotify.",
    "Book a hotel in {c}.", "Record my voice.", "Start a video call with {n}.", "Post this on Twitter.",
    "Order {i} for delivery.", "Lock my front door.", "Turn up the volume.",
]
CANT_BOOKS = ["War and Peace", "Hamlet", "Moby Dick", "Don Quixote", "The Odyssey", "Pride and Prejudice"]
CANT_APPS = ["todo list", "weather", "budget", "habit", "recipe", "chat", "fitness", "calendar"]
CANT_SONGS = ["my favorite song", "some jazz", "the radio", "Bohemian Rhapsody", "something relaxing", "rock music"]


def cant_sample(r):
    q = r.choice(CANT_Q)
    q = q.replace("{t}", r.choice(CANT_TOPICS)).replace("{s2}", rand_sentence(r, 3, 7).rstrip(".!?")).replace(
        "{s}", rand_sentence(r, 2, 6).rstrip(".!?")).replace("{b}", r.choice(CANT_BOOKS)).replace("{c}", r.choice(CITIES)).replace(
        "{app}", r.choice(CANT_APPS)).replace("{n}", r.choice(NAMES)).replace("{p}", r.choice(PEOPLE)).replace(
        "{song}", r.choice(CANT_SONGS)).replace("{i}", r.choice(ITEMS))
    return [U(politely(r, vary(r, q))), A(CANT_A)]


# ----------------------------------------------------------------------------
# name keeping: "My name is X", 1-3 other exchanges, "What is my name?"
# ----------------------------------------------------------------------------
NAMES_MORE = NAMES + [
    "Anna", "Ben", "Chloe", "Daniel", "Elena", "Felix", "Hana", "Ivan", "Julia", "Kenji", "Laura", "Mateo", "Nina",
    "Oscar", "Priya", "Quinn", "Ruth", "Sofia", "Tom", "Uma", "Wei", "Xavier", "Yara", "Amir", "Bea", "Chen", "Diego",
    "Eva", "Fatima", "Gustav", "Hiro", "Isla", "Jonas", "Kai", "Leo", "Mila", "Nora", "Pedro", "Rita", "Sven", "Theo",
    "Ada", "Arjun", "Chiara", "Dmitri", "Elif", "Farah", "Giulia", "Hassan", "Ingrid", "Jamal", "Keiko", "Lars", "Marta",
    "Nils", "Ola", "Pablo", "Rosa Lee", "Anna Smith", "John Park", "Mary Jones", "Ali", "Bo", "Jo", "Aiko", "Emil",
]
NAME_INTRO_Q = ["My name is {n}.", "my name is {n}", "I'm {n}.", "Hi, I am {n}.", "Call me {n}.", "Hello, my name is {n}.",
                "You can call me {n}.", "My name's {n}.", "Hi! I'm {n}.", "Hey, I'm {n}.", "I am {n}.", "Hello! I'm {n}.",
                "Please call me {n}.", "Hi AIOS, my name is {n}.", "Nice to meet you, I'm {n}.", "Let me introduce myself: I'm {n}."]
NAME_RECALL_Q = ["What is my name?", "what's my name", "Do you remember my name?", "Who am I?", "What did I say my name was?",
                 "Can you tell me my name?", "Remind me of my name.", "What name did I give you?", "Do you know my name?",
                 "What's my name again?", "Say my name.", "Tell me my name.", "What am I called?", "Do you still know my name?"]


def namekeep_intro(r, nm):
    return [U(r.choice(NAME_INTRO_Q).replace("{n}", nm)), A(f"Nice to meet you, {nm}! How can I help you today?")]


def namekeep_recall(r, nm):
    return [U(vary(r, r.choice(NAME_RECALL_Q), please=False)), A(f"Your name is {nm}.")]


def namekeep_sample(r):  # placeholder: sample_conversation builds the whole conversation
    nm = r.choice(NAMES_MORE)
    return namekeep_intro(r, nm) + namekeep_recall(r, nm)


# ----------------------------------------------------------------------------
# plain chat
# ----------------------------------------------------------------------------
GREET_Q = ["hello", "Hello", "Hello!", "hi", "Hi", "Hi!", "hey", "Hey", "Hey there", "Hi there", "hello there",
           "Good morning", "good morning", "Good evening", "Good afternoon", "Howdy", "Greetings", "yo", "Hello AIOS", "Hi AIOS"]
HOWAREYOU_Q = ["How are you?", "how are you", "How are you doing?", "How's it going?", "how is it going", "Are you okay?"]
THANKS_Q = ["thanks", "Thanks!", "thank you", "Thank you!", "Thank you very much.", "thanks a lot", "Great, thanks!", "ok thanks"]
BYE_Q = ["bye", "Bye!", "goodbye", "Goodbye", "See you later", "see you", "Good night", "I have to go now."]
WHO_Q = ["Who are you?", "who are you", "What are you?", "what are you", "What is your name?", "what's your name",
         "Introduce yourself.", "Tell me about yourself.", "Are you a robot?", "Who made you?", "Are you human?"]
WHO_A = "I am AIOS, a small assistant that runs inside your browser operating system. I can chat, answer simple questions, and use the tools the system gives me."
CAN_Q = ["What can you do?", "what can you do", "How can you help me?", "Help", "help", "What are you good at?",
         "What tools do you have?", "What are your tools?", "Which tools can you use?"]
CAN_A = "I can chat with you and answer simple questions. With the tools the system offers me, I can also do math, convert units, tell the time, keep notes in your files, run JavaScript and read web pages."
UNKNOWN_Q = [
    "What is the meaning of life?", "Who will win the next election?", "What is the stock price of Apple?",
    "What will the weather be tomorrow?", "Can you read my email?", "What is the best movie ever?",
    "What number am I thinking of?", "Predict the future.", "What is my password?", "Who is the smartest person alive?",
]
UNKNOWN_A = "I'm sorry, I don't know that. I am a small model, so I can only answer simple questions and use a few tools."


JOKE_Q = ["Tell me a joke.", "tell me a joke", "Do you know a joke?", "Make me laugh.", "Say something funny."]
JOKE_A = [
    "Why did the computer go to the doctor? Because it had a virus!",
    "Why was the math book sad? Because it had too many problems.",
    "What do you call a cat that likes to bowl? An alley cat!",
]
CONFUSED_A = "I'm sorry, I don't understand. Could you say that another way?"


def fallback_sample(r):
    k = r.random()
    if k < 0.35:
        return [U(vary(r, r.choice(JOKE_Q), allow_lower=False)), A(r.choice(JOKE_A))]
    if k < 0.7:
        return [U(rand_sentence(r, 2, 7)), A(CONFUSED_A)]
    return [U(r.choice(UNKNOWN_Q)), A(UNKNOWN_A)]


def greet_sample(r):
    k = r.random()
    if k < 0.45:
        return [U(r.choice(GREET_Q)), A("Hello! How can I help you today?")]
    if k < 0.6:
        return [U(r.choice(HOWAREYOU_Q)), A("I'm doing well, thank you! How can I help you today?")]
    if k < 0.75:
        return [U(r.choice(THANKS_Q)), A("You're welcome!")]
    if k < 0.9:
        return [U(r.choice(BYE_Q)), A("Goodbye! Have a great day.")]
    return [U(r.choice(UNKNOWN_Q)), A(UNKNOWN_A)]


def who_sample(r):
    if r.random() < 0.6:
        return [U(r.choice(WHO_Q)), A(WHO_A)]
    return [U(r.choice(CAN_Q)), A(CAN_A)]


def capital_sample(r):
    country, city = r.choice(CAPITALS)
    q = r.choice([
        "What is the capital of {c}?", "what is the capital of {c}", "What's the capital of {c}?",
        "Capital of {c}?", "capital of {c}", "Tell me the capital of {c}.", "What is the capital city of {c}?",
        "Which city is the capital of {c}?", "Do you know the capital of {c}?", "Name the capital of {c}.",
    ]).replace("{c}", country)
    ans = f"The capital of {country} is {city}."
    if r.random() < 0.1:
        q = f"Is {city} the capital of {country}?"
        ans = f"Yes, {city} is the capital of {country}."
    return [U(vary(r, q)), A(ans)]


def color_sample(r):
    k = r.random()
    if k < 0.45:
        a, b = r.choice(OPPOSITES)
        if r.random() < 0.5:
            a, b = b, a
        q = r.choice(["What is the opposite of {a}?", "what is the opposite of {a}", "Opposite of {a}?",
                      "opposite of {a}", "What's the opposite of {a}?", "Give me the opposite of {a}.",
                      "What word means the opposite of {a}?"]).replace("{a}", a)
        return [U(vary(r, q)), A(f"The opposite of {a} is {b}.")]
    if k < 0.8:
        thing, ans = r.choice(COLOR_FACTS)
        q = r.choice(["What color is {t}?", "what color is {t}", "What is the color of {t}?",
                      "What colour is {t}?", "Which color is {t}?"]).replace("{t}", thing)
        return [U(vary(r, q)), A(ans)]
    a, b, c = r.choice(COLOR_MIX)
    if r.random() < 0.5:
        a, b = b, a
    q = r.choice(["What color do you get by mixing {a} and {b}?", "What happens if I mix {a} and {b}?",
                  "Mix {a} and {b}. What color is it?", "{a} and {b} make what color?"]).replace("{a}", a).replace("{b}", b)
    return [U(vary(r, q)), A(f"Mixing {a} and {b} gives {c}.")]


def echo_sample(r):
    s = rand_sentence(r, 1, r.choice([3, 5, 8, 10]))
    if r.random() < 0.15:
        s = " ".join(str(r.randint(0, 999)) for _ in range(r.randint(1, 4)))
    q = r.choice([
        "Repeat after me: {s}", "repeat after me: {s}", "Say {s}", "say: {s}", "Echo: {s}", "echo {s}",
        "Please repeat: {s}", "Repeat this: {s}", "Can you say \"{s}\"?", "Say \"{s}\"", "Repeat: {s}",
        "Type exactly this: {s}",
    ]).replace("{s}", s)
    return [U(q), A(s)]


def count_sample(r):
    k = r.random()
    if k < 0.55:
        n = r.randint(1, 20)
        q = r.choice(["Count to {n}", "count to {n}", "Count to {n}.", "Can you count to {n}?", "Count from 1 to {n}.",
                      "count from 1 to {n}", "Please count to {n}", "List the numbers from 1 to {n}."]).replace("{n}", str(n))
        return [U(q), A(", ".join(str(i) for i in range(1, n + 1)))]
    if k < 0.8:
        a = r.randint(0, 30)
        b = a + r.randint(1, 12)
        q = r.choice(["Count from {a} to {b}", "count from {a} to {b}", "Count from {a} to {b}.", "List the numbers from {a} to {b}."])
        q = q.replace("{a}", str(a)).replace("{b}", str(b))
        return [U(q), A(", ".join(str(i) for i in range(a, b + 1)))]
    n = r.randint(2, 15)
    q = r.choice(["Count down from {n}", "count down from {n}", "Count backwards from {n}.", "Countdown from {n}"]).replace("{n}", str(n))
    return [U(q), A(", ".join(str(i) for i in range(n, 0, -1)))]


def define_sample(r):
    names, ans = r.choice(DEFINITIONS)
    nm = r.choice(names)
    bare = nm.split(" ", 1)[1] if nm.split(" ")[0] in ("a", "an", "the") else nm
    q = r.choice([
        "What is {n}?", "what is {n}", "What's {n}?", "Define {b}.", "define {b}", "Explain {b}.",
        "What does {b} mean?", "Tell me what {n} is.", "Can you explain what {n} is?",
    ]).replace("{n}", nm).replace("{b}", bare)
    return [U(vary(r, q)), A(ans)]


def facts_sample(r):
    k = r.random()
    if k < 0.3:
        i = r.randrange(7)
        q = r.choice(["What day comes after {d}?", "what day comes after {d}", "Which day is after {d}?", "What is the day after {d}?"]).replace("{d}", DAYS[i])
        return [U(q), A(f"{DAYS[(i + 1) % 7]} comes after {DAYS[i]}.")]
    if k < 0.5:
        i = r.randrange(12)
        q = r.choice(["What month comes after {m}?", "Which month is after {m}?", "what month comes after {m}"]).replace("{m}", MONTHS[i])
        return [U(q), A(f"{MONTHS[(i + 1) % 12]} comes after {MONTHS[i]}.")]
    qa = [
        (["How many days are in a week?", "how many days in a week"], "There are 7 days in a week."),
        (["How many months are in a year?", "how many months in a year"], "There are 12 months in a year."),
        (["How many hours are in a day?", "how many hours in a day"], "There are 24 hours in a day."),
        (["How many minutes are in an hour?"], "There are 60 minutes in an hour."),
        (["How many legs does a spider have?"], "A spider has 8 legs."),
        (["How many legs does a dog have?"], "A dog has 4 legs."),
        (["What is the largest ocean?", "Which ocean is the biggest?"], "The Pacific Ocean is the largest ocean."),
        (["What is the tallest mountain?", "Which mountain is the highest?"], "Mount Everest is the tallest mountain on Earth."),
        (["What is the biggest planet?", "Which planet is the largest?"], "Jupiter is the biggest planet in the solar system."),
        (["What planet do we live on?"], "We live on the planet Earth."),
        (["What do bees make?"], "Bees make honey."),
        (["What do cows drink?"], "Cows drink water."),
        (["What are the days of the week?", "List the days of the week."], "Monday, Tuesday, Wednesday, Thursday, Friday, Saturday, Sunday."),
        (["What are the primary colors?"], "The primary colors are red, yellow and blue."),
        (["What is the boiling point of water?"], "Water boils at 100 degrees Celsius at sea level."),
        (["What is the freezing point of water?"], "Water freezes at 0 degrees Celsius."),
    ]
    qs, a = r.choice(qa)
    return [U(vary(r, r.choice(qs))), A(a)]


def story_sample(r):
    name = r.choice(CAT_NAMES)
    place = r.choice(CAT_PLACES)
    thing = r.choice(CAT_THINGS)
    q = r.choice(["Tell me a story about a cat.", "tell me a story about a cat", "Write a short story about a cat.",
                  "Tell me a short story about a cat named {n}.", "Can you tell me a cat story?", "Once upon a time there was a cat... continue",
                  "Tell me a bedtime story about a cat."]).replace("{n}", name)
    story = (
        f"Once upon a time, there was a cat named {name} who lived in {place}. "
        f"Every morning, {name} sat by the window and watched the world go by. "
        f"One day, {name} saw {thing} outside and decided to follow it. "
        f"The adventure took {name} through gardens and over fences, until the sun began to set. "
        f"Tired but happy, {name} walked back home, curled up on a warm blanket, and fell asleep. The end."
    )
    return [U(q), A(story)]


def long_sample(r):
    qs, a = r.choice(LONG_ANSWERS)
    return [U(vary(r, r.choice(qs), allow_lower=False)), A(a)]


def name_sample(r):
    nm = r.choice(NAMES)
    intro = r.choice(["My name is {n}.", "my name is {n}", "I'm {n}.", "Hi, I am {n}.", "Call me {n}.", "Hello, my name is {n}."]).replace("{n}", nm)
    first = [U(intro), A(f"Nice to meet you, {nm}! How can I help you today?")]
    if r.random() < 0.7:
        first += [U(r.choice(["What is my name?", "what's my name", "Do you remember my name?", "Who am I?"])), A(f"Your name is {nm}.")]
    return first


# ----------------------------------------------------------------------------


# ----------------------------------------------------------------------------
# conversations: exchanges, the offered tools, the system prompt
# ----------------------------------------------------------------------------
# name: (generator, tool or None, weight)
EXCHANGES = {
    "calc": (calc_sample, "calculator", 8), "calc3": (calc3_sample, "calculator", 2.5), "calcfn": (calcfn_sample, "calculator", 3),
    "units": (units_sample, "units", 13), "clock": (clock_sample, "clock", 10),
    "fwrite": (fwrite_sample, "files.write", 8), "fsearch": (fsearch_sample, "files.search", 5),
    "fread": (fread_sample, "files.read", 5), "flist": (flist_sample, "files.list", 4),
    "js": (js_sample, "js", 8), "webread": (webread_sample, "web.read", 7), "fetch": (fetch_sample, "fetch", 7),
    "geo": (geo_sample, "geolocation", 2.5),
    "snap": (snap_sample, "camera.snapshot", 3), "camread": (camread_sample, "camera.read", 2.5),
    "clipread": (clipread_sample, "clipboard.read", 2), "clipwrite": (clipwrite_sample, "clipboard.write", 3.5),
    "notify": (notify_sample, "notify", 4.5), "speak": (speak_sample, "speak", 4.5),
    "fimport": (import_sample, "files.import", 3.5), "fexport": (export_sample, "files.export", 3),
    "greet": (greet_sample, None, 3), "who": (who_sample, None, 2),
    "capital": (capital_sample, None, 5), "color": (color_sample, None, 4), "echo": (echo_sample, None, 10),
    "count": (count_sample, None, 6), "define": (define_sample, None, 4), "facts": (facts_sample, None, 2),
    "story": (story_sample, None, 1.5), "long": (long_sample, None, 2.5), "name": (name_sample, None, 1.5),
    "fallback": (fallback_sample, None, 2.5), "cant": (cant_sample, None, 3.5), "namekeep": (namekeep_sample, None, 3),
}
TOOL_EXCHANGES = [n for n, (_, t, _) in EXCHANGES.items() if t]
CHAT_EXCHANGES = [n for n, (_, t, _) in EXCHANGES.items() if not t]
_NAMES = list(EXCHANGES)
_WEIGHTS = [EXCHANGES[n][2] for n in _NAMES]

P_OFFER = 0.65   # a tool request finds its tool in the Tools line
P_ERROR = 0.05   # a tool call fails


def pick_system(r, aios_only=False):
    """None = no system message (the template's default system prompt)."""
    s = r.random()
    if s < 0.4:
        return None
    if s < 0.5 or (aios_only and s < 0.75):
        return DEFAULT_SYSTEM
    if aios_only:
        return r.choice(SYSTEMS_AIOS)
    if s < 0.72:  # the memory manager's default (every agent.chat of an app without its own prompt)
        return "You are a helpful assistant."
    if s < 0.77:
        return r.choice(SYSTEMS_AIOS)
    return r.choice(SYSTEMS_OTHER)


def pick_tools(r, needed, offered):
    """The Tools line: every offered needed tool, none of the not-offered ones, random others."""
    yes = [t for t in needed if offered[t]]
    no = [t for t in needed if not offered[t]]
    pool = [t for t in ALL_TOOLS if t not in needed]
    m = r.random()
    if yes:
        groups = [g for g in KERNEL_GROUPS if all(t in g for t in yes) and not any(t in g for t in no)]
        if m < 0.12 and not no:
            lst = list(ALL_TOOLS)
        elif m < 0.27 and groups:
            return list(r.choice(groups))  # as the kernel offers an app's tools, in its order
        elif m < 0.3:
            lst = yes
        else:
            lst = yes + r.sample(pool, r.randint(0, len(pool)))
    elif needed:
        if m < 0.3:
            return None
        # Mostly short lists, as an app holding a few capabilities sees them; sometimes long ones.
        lst = r.sample(pool, r.randint(1, min(len(pool), r.choice([2, 4, 6, 9, len(pool)]))))
    else:
        if m < 0.4:
            return None
        lst = list(ALL_TOOLS) if m < 0.5 else r.sample(ALL_TOOLS, r.randint(1, len(ALL_TOOLS)))
    if r.random() < 0.75:
        r.shuffle(lst)
    else:
        lst = [t for t in r.choice([ALL_TOOLS, KERNEL_ORDER]) if t in lst]
    return lst


def sample_conversation(r, first=None, offer=None, err=None, n_ex=None, system=False, tools_on=None):
    """A conversation {"messages", "tools", "kinds"}.  kinds[i] = (exchange, kind, exchange index)
    for the i-th assistant turn, kind one of call / answer / error / noroute / chat.
    Overrides (for evaluation and twins): first = the first exchange's name; offer = whether its
    tool is offered; err = whether its call fails; n_ex = number of exchanges; system (False =
    random); tools_on = for a chat-only conversation, force a Tools line (True) or none (False).
    The exchanges are drawn before the Tools line, so the same seed with a different `offer`
    gives the same requests (a twin that differs only in the offered tools)."""
    n = n_ex or r.choices([1, 2, 3], [0.5, 0.35, 0.15])[0]
    names = [first or r.choices(_NAMES, _WEIGHTS)[0]] + [r.choices(_NAMES, _WEIGHTS)[0] for _ in range(n - 1)]
    names = [nm for k, nm in enumerate(names) if nm != "namekeep" or k == 0] or names[:1]
    keep_name = None
    if names[0] == "namekeep":  # "My name is X", 1-3 other exchanges, "What is my name?"
        keep_name = r.choice(NAMES_MORE)
        mids = [nm for nm in r.choices(_NAMES, _WEIGHTS, k=6) if nm not in ("namekeep", "name", "who")]
        names = ["namekeep"] + mids[:r.choice([1, 1, 2, 2, 3])] + ["namekeep"]
    if system is False:
        system = pick_system(r, aios_only=any(nm == "who" for nm in names))
    exchanges = []
    for i, nm in enumerate(names):
        fn, tool, _ = EXCHANGES[nm]
        if tool:
            e = r.random() < P_ERROR
            ex = fn(r, err if i == 0 and err is not None else e)
            ex[0] = U(politely(r, ex[0]["content"]))
            exchanges.append(ex)
        elif nm == "namekeep" and keep_name:
            exchanges.append(namekeep_intro(r, keep_name) if i == 0 else namekeep_recall(r, keep_name))
        else:
            exchanges.append(fn(r))
    thanks = n == 1 and r.random() < 0.06
    thanks_q = r.choice(THANKS_Q)
    needed = []
    for nm in names:
        t = EXCHANGES[nm][1]
        if t and t not in needed:
            needed.append(t)
    offered = {t: r.random() < P_OFFER for t in needed}
    t0 = EXCHANGES[names[0]][1]
    if offer is not None and t0:
        offered[t0] = offer
    tools = pick_tools(r, needed, offered)
    if tools_on is not None and not needed:
        if tools_on and not tools:
            tools = r.sample(ALL_TOOLS, r.randint(1, len(ALL_TOOLS)))
        elif not tools_on:
            tools = None
    msgs = [S(system)] if system is not None else []
    kinds = []
    for i, (nm, ex) in enumerate(zip(names, exchanges)):
        tool = EXCHANGES[nm][1]
        if tool and (not tools or tool not in tools):
            ex = [ex[0], A(NO_TOOL)]
        for m in ex:
            if m["role"] == "assistant":
                if not tool:
                    kind = "chat"
                elif m["content"] == NO_TOOL:
                    kind = "noroute"
                elif m["content"].startswith("<tool_call>"):
                    kind = "call"
                elif m["content"].startswith("Sorry, I could not use "):
                    kind = "error"
                else:
                    kind = "answer"
                kinds.append((nm, kind, i))
        msgs += ex
    if thanks:
        msgs += [U(thanks_q), A("You're welcome!")]
        kinds.append(("greet", "chat", 1))
    return {"messages": msgs, "tools": tools, "kinds": kinds}


def sample_training(r, p_twin=0.45):
    """Training conversations: usually one; for a single tool request, sometimes also its twin
    with the tool's offering flipped (same request and system prompt, different Tools line)."""
    seed = r.random()
    c = sample_conversation(random.Random(seed))
    ex, kind, _ = c["kinds"][0] if c["kinds"] else (None, None, None)
    if kind in ("call", "noroute") and len({k[2] for k in c["kinds"]}) == 1 and r.random() < p_twin:
        return [c, sample_conversation(random.Random(seed), offer=(kind == "noroute"))]
    return [c]


# OpenAI tool entries for the reference prompts (the template reads only function.name)
TOOL_SPECS = {
    "calculator": ("Evaluates a math expression with mathjs.", {"expression": {"type": "string"}}, ["expression"]),
    "units": ("Converts a value between units.", {"value": {"type": "number"}, "from": {"type": "string"}, "to": {"type": "string"}}, ["value", "from", "to"]),
    "clock": ("The current date and time, in a time zone, optionally shifted.", {"timeZone": {"type": "string"}, "add": {"type": "object"}}, []),
    "files.write": ("Writes a text file in the app's files.", {"path": {"type": "string"}, "content": {"type": "string"}}, ["path", "content"]),
    "files.search": ("Searches the app's files.", {"query": {"type": "string"}}, ["query"]),
    "files.read": ("Reads a file from the app's files.", {"path": {"type": "string"}}, ["path"]),
    "files.list": ("Lists the app's files.", {"prefix": {"type": "string"}}, []),
    "js": ("Runs JavaScript in a sandbox.", {"code": {"type": "string"}}, ["code"]),
    "web.read": ("Reads a web page as text.", {"url": {"type": "string"}}, ["url"]),
    "fetch": ("Makes an HTTP request.", {"url": {"type": "string"}, "method": {"type": "string"}, "body": {"type": "string"}}, ["url"]),
    "geolocation": ("The device's location (about 1 km unless the app holds geolocation:precise).", {}, []),
    "camera.snapshot": ("Takes one photo with the camera and saves it in the app's files.", {}, []),
    "camera.read": ("Reads the text in front of the camera (OCR).", {}, []),
    "clipboard.read": ("Reads the text on the clipboard.", {}, []),
    "clipboard.write": ("Copies text to the clipboard.", {"text": {"type": "string"}}, ["text"]),
    "notify": ("Shows the user a system notification.", {"title": {"type": "string"}}, ["title"]),
    "speak": ("Says a text aloud with speech synthesis.", {"text": {"type": "string"}}, ["text"]),
    "files.import": ("Asks the user to pick a file and saves it in the app's files.", {}, []),
    "files.export": ("Lets the user save one of the app's files to their disk.", {"path": {"type": "string"}}, ["path"]),
}


def openai_tools(names):
    return [{"type": "function", "function": {"name": n, "description": TOOL_SPECS[n][0],
                                              "parameters": {"type": "object", "properties": TOOL_SPECS[n][1], "required": TOOL_SPECS[n][2]}}}
            for n in names]
