"""Synthetic ChatML conversations for aios-tiny.

Every sample is a list of {"role", "content"} messages.  `render()` is the exact
Python mirror of the Jinja chat template shipped in tokenizer_config.json
(CHAT_TEMPLATE below); the Node check (tools/check_onnx.mjs) verifies that
Transformers.js renders/tokenizes the reference prompts identically.

Tool-call format (assistant turn content, nothing else in that turn):
    <tool_call>{"name": "calculator", "arguments": {"expression": "12*7"}}</tool_call>
i.e. `"<tool_call>" + json.dumps({"name": ..., "arguments": {...}}) + "</tool_call>"`.
The tool result comes back as a message with role "tool" whose content is the
raw result string, followed by a final assistant answer.
"""
import json
import random

DEFAULT_SYSTEM = "You are AIOS, a helpful assistant inside a browser operating system."

CHAT_TEMPLATE = (
    "{%- if messages | length == 0 or messages[0]['role'] != 'system' -%}"
    "{{- '<|im_start|>system\\n" + DEFAULT_SYSTEM + "<|im_end|>\\n' -}}"
    "{%- endif -%}"
    "{%- for message in messages -%}"
    "{{- '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' -}}"
    "{%- endfor -%}"
    "{%- if add_generation_prompt -%}"
    "{{- '<|im_start|>assistant\\n' -}}"
    "{%- endif -%}"
)


def render(messages, add_generation_prompt=False):
    """Python mirror of CHAT_TEMPLATE."""
    out = []
    if not messages or messages[0]["role"] != "system":
        out.append("<|im_start|>system\n" + DEFAULT_SYSTEM + "<|im_end|>\n")
    for m in messages:
        out.append("<|im_start|>" + m["role"] + "\n" + m["content"] + "<|im_end|>\n")
    if add_generation_prompt:
        out.append("<|im_start|>assistant\n")
    return "".join(out)


def render_with_spans(messages):
    """Render a full conversation; returns (text, spans) where spans are the
    [start, end) char ranges that the model is trained to produce: each
    assistant content plus its closing <|im_end|>."""
    text = ""
    spans = []
    if not messages or messages[0]["role"] != "system":
        text += "<|im_start|>system\n" + DEFAULT_SYSTEM + "<|im_end|>\n"
    for m in messages:
        head = "<|im_start|>" + m["role"] + "\n"
        text += head
        start = len(text)
        text += m["content"] + "<|im_end|>"
        if m["role"] == "assistant":
            spans.append((start, len(text)))
        text += "\n"
    return text, spans


def tool_call(name, arguments):
    return "<tool_call>" + json.dumps({"name": name, "arguments": arguments}) + "</tool_call>"


def U(c):
    return {"role": "user", "content": c}


def A(c):
    return {"role": "assistant", "content": c}


def T(c):
    return {"role": "tool", "content": c}


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
     "AIOS is an operating system that boots inside a browser tab. Its kernel is a small language model that runs in a web worker. Agents run as processes, and the kernel can call tools like a calculator, a clock and geolocation to help you. Everything runs on your own device."),
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

OTHER_SYSTEMS = [
    DEFAULT_SYSTEM,
    "You are AIOS, a helpful assistant inside a browser operating system.",
    "You are a helpful assistant.",
    "You are AIOS. Answer briefly.",
    "You are AIOS, the kernel of a browser operating system. Be concise and friendly.",
    "You are AIOS, a helpful assistant inside a browser operating system. You can call tools: calculator, clock, geolocation.",
    "You are AIOS, a helpful assistant inside a browser operating system.\nTools: calculator(expression), clock(), geolocation().\nTo call a tool, reply with <tool_call>{\"name\": ..., \"arguments\": {...}}</tool_call>.",
    "You are a friendly assistant that runs in the browser.",
    "Answer the user's question.",
]


# ----------------------------------------------------------------------------
# helpers
# ----------------------------------------------------------------------------
def vary(r, text, allow_lower=True):
    """Light surface variation of a user message."""
    if allow_lower and r.random() < 0.25:
        text = text.lower()
    if text.endswith("?") and r.random() < 0.2:
        text = text[:-1]
    elif text.endswith(".") and r.random() < 0.3:
        text = text[:-1]
    if r.random() < 0.06:
        text = text + " please"
    return text


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


# ----------------------------------------------------------------------------
# calculator
# ----------------------------------------------------------------------------
OPS = {
    "+": (["plus", "added to"], lambda a, b: a + b),
    "-": (["minus"], lambda a, b: a - b),
    "*": (["times", "multiplied by"], lambda a, b: a * b),
    "/": (["divided by", "over"], lambda a, b: a / b),
}


def rand_operand(r):
    k = r.random()
    if k < 0.45:
        return r.randint(0, 12)
    if k < 0.8:
        return r.randint(10, 99)
    if k < 0.95:
        return r.randint(100, 999)
    return r.randint(1000, 9999)


def calc_sample(r):
    op = r.choice("+-*/+-*")
    a, b = rand_operand(r), rand_operand(r)
    if r.random() < 0.08:  # one-decimal operands, e.g. 2.5*4
        a = round(r.randint(1, 999) / 10, 1)
    if r.random() < 0.05:
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
        ]).replace("{e}", expr)
    elif style < 0.65:
        expr = sym_expr_spaced
        user = r.choice([
            "What is {e}?", "Calculate {e}", "calculate {e}", "How much is {e}?", "{e}", "Compute {e}",
            "what is {e}", "Can you work out {e}?", "Solve {e}", "{e} = ?",
        ]).replace("{e}", expr)
    else:
        expr = sym_expr_compact
        if op == "+":
            tmpl = r.choice([
                "What is {a} plus {b}?", "what is {a} plus {b}", "Add {a} and {b}", "add {a} and {b}",
                "What is the sum of {a} and {b}?", "How much is {a} plus {b}?", "What do you get if you add {a} and {b}?",
                "{a} plus {b}", "What is {a} added to {b}?",
            ])
        elif op == "-":
            tmpl = r.choice([
                "What is {a} minus {b}?", "what is {a} minus {b}", "Subtract {b} from {a}", "subtract {b} from {a}",
                "How much is {a} minus {b}?", "{a} minus {b}", "Take {b} away from {a}",
                "What is the difference between {a} and {b}?",
            ])
        elif op == "*":
            tmpl = r.choice([
                "What is {a} times {b}?", "what is {a} times {b}", "Multiply {a} by {b}", "multiply {a} and {b}",
                "What is {a} multiplied by {b}?", "How much is {a} times {b}?", "{a} times {b}",
                "What is the product of {a} and {b}?", "Can you multiply {a} by {b}?", "What do you get if you multiply {a} and {b}?",
            ])
        else:
            tmpl = r.choice([
                "What is {a} divided by {b}?", "what is {a} divided by {b}", "Divide {a} by {b}", "divide {a} by {b}",
                "How much is {a} divided by {b}?", "{a} divided by {b}", "What is {a} over {b}?",
            ])
        user = tmpl.replace("{a}", str(a)).replace("{b}", str(b))
    user = vary(r, user)
    result = OPS[op][1](a, b)
    res = fmt_num(round(result, 6) if isinstance(result, float) else result)
    return [U(user), A(tool_call("calculator", {"expression": expr})), T(res), A(f"{expr} = {res}.")]


def calc3_sample(r):
    """Three-operand expressions typed symbolically."""
    a, b, c = r.randint(1, 20), r.randint(1, 20), r.randint(1, 12)
    form = r.choice(["{a}+{b}*{c}", "({a}+{b})*{c}", "{a}*{b}-{c}", "{a}-{b}+{c}", "({a}-{b})*{c}", "{a}*{b}+{c}", "{a}+{b}+{c}", "{a}*{b}*{c}"])
    expr = form.format(a=a, b=b, c=c)
    res = fmt_num(eval(expr))
    user = vary(r, r.choice(["What is {e}?", "Calculate {e}", "calculate {e}", "How much is {e}?", "{e}", "Compute {e}", "Solve {e}"]).replace("{e}", expr))
    return [U(user), A(tool_call("calculator", {"expression": expr})), T(res), A(f"{expr} = {res}.")]


# ----------------------------------------------------------------------------
# geolocation / clock
# ----------------------------------------------------------------------------
GEO_Q = [
    "Where am I?", "where am I?", "where am i", "What is my location?", "what is my location",
    "What's my location?", "Where am I right now?", "What is my current location?", "Find my location.",
    "Can you tell me where I am?", "Get my coordinates.", "What are my coordinates?", "Show my location",
    "Locate me.", "Where are we?", "What is my latitude and longitude?", "Where is this device?",
    "what's my position", "Tell me my location.", "Which place am I at?",
]
CLOCK_Q = [
    "What time is it?", "what time is it", "What's the time?", "what's the time", "What's the date?",
    "what's the date", "What is the date today?", "What day is it today?", "Tell me the time.",
    "What is today's date?", "Current time please.", "Do you know what time it is?", "What time is it now?",
    "Can you tell me the time?", "What is the time right now?", "what day is it", "Show me the clock.",
    "What's today's date?", "Give me the current date and time.", "time?",
]


def rand_coord(r, lim):
    v = round(r.uniform(-lim, lim), 2)
    if r.random() < 0.1:
        v = round(r.uniform(-lim, lim), 4)
    if v == 0:
        v = 0.5
    return v


def geo_sample(r):
    lat, lon = rand_coord(r, 89), rand_coord(r, 179)
    res = json.dumps({"latitude": lat, "longitude": lon})
    q = vary(r, r.choice(GEO_Q), allow_lower=False)
    if r.random() < 0.08:
        err = r.choice(["Error: permission denied", "Error: position unavailable", "Error: timeout"])
        return [U(q), A(tool_call("geolocation", {})), T(err), A(f"Sorry, I could not get your location. {err}.")]
    return [U(q), A(tool_call("geolocation", {})), T(res), A(f"You are at latitude {lat}, longitude {lon}.")]


def rand_iso(r):
    y = r.randint(2024, 2030)
    mo = r.randint(1, 12)
    d = r.randint(1, 28)
    h, mi, s = r.randint(0, 23), r.randint(0, 59), r.randint(0, 59)
    if r.random() < 0.5:
        s = 0
    return f"{y:04d}-{mo:02d}-{d:02d}T{h:02d}:{mi:02d}:{s:02d}Z"


def clock_sample(r):
    iso = rand_iso(r)
    q = vary(r, r.choice(CLOCK_Q), allow_lower=False)
    return [U(q), A(tool_call("clock", {})), T(iso), A(f"It is {iso}.")]


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
WHO_A = "I am AIOS, a small assistant that runs inside your browser operating system. I can chat, answer simple questions, and use tools like a calculator, a clock and geolocation."
CAN_Q = ["What can you do?", "what can you do", "How can you help me?", "What are your tools?", "Help", "help", "What tools do you have?"]
CAN_A = "I can chat with you and answer simple questions. I can also use tools: a calculator for math, a clock for the date and time, and geolocation to find where you are."
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
    s = rand_sentence(r, 1, r.choice([3, 5, 8]))
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
# sampling
# ----------------------------------------------------------------------------
SINGLE = [
    (calc_sample, 20), (calc3_sample, 4), (geo_sample, 7), (clock_sample, 7),
    (greet_sample, 6), (who_sample, 3), (capital_sample, 7), (color_sample, 9),
    (echo_sample, 25), (count_sample, 10), (define_sample, 6), (facts_sample, 4),
    (story_sample, 3), (long_sample, 4), (name_sample, 3), (fallback_sample, 3),
]
_FUNCS = [f for f, _ in SINGLE]
_WEIGHTS = [w for _, w in SINGLE]


def sample_conversation(r):
    msgs = r.choices(_FUNCS, _WEIGHTS)[0](r)
    # multi-turn: chain 1-2 more exchanges
    k = r.random()
    if k < 0.4:
        for _ in range(r.randint(1, 2)):
            msgs = msgs + r.choices(_FUNCS, _WEIGHTS)[0](r)
    elif k < 0.46:
        msgs = msgs + [U(r.choice(THANKS_Q)), A("You're welcome!")]
    s = r.random()
    if s < 0.7:
        return msgs
    if s < 0.82:
        return [{"role": "system", "content": DEFAULT_SYSTEM}] + msgs
    return [{"role": "system", "content": r.choice(OTHER_SYSTEMS)}] + msgs
