"""Run 10 data for aios-tiny: few-shot examples from the user's feedback, and arithmetic word problems.

1. Examples (`examples_sample`): when an app has past answers the user approved (thumbs up) or
   corrected, the kernel prepends them to the newest user message (src/kernel/memory/feedback.ts):

       <examples note="earlier requests and the answers the user approved">
       Q: {question 1}
       A: {answer 1}
       </examples>

       {the actual request}

   1 to 3 Q/A pairs, each on one line (newlines replaced by spaces), an empty line, the request.
   Behaviours trained:
     copy     -- the request is one example's question or a light variant of it (case, final
                 punctuation, "please", "Could you tell me ..."): that example's answer, verbatim, no call;
     nearest  -- examples are notes with the labels the user chose, the request a different note
                 sharing a distinctive keyword with exactly one of them: that example's label;
     ordinary -- no example matches: the ordinary conversation of the existing mixture (tool calls,
                 chat, refusals) with an unrelated examples block; the targets are unchanged;
     anchor   -- a classify-a-note / personal-fact request without examples: `I have no tool for that here.`
2. Word problems (`word_sample`, the exchange kind "wordprob"): "Tom has 3 apples and buys 5 more.
   How many apples does he have now?" -> calculator {"expression": "3+5"} -> `3+5 = 8.`; offered /
   not offered and twins as every tool request (aios_data.sample_conversation). HELD_WORD templates
   are never trained; `write_heldout_word` writes 60 problems of them to tools/work/heldout_word.json.
"""
import json
import random
import re

import aios_data as D

# Must equal EXAMPLES_OPEN / EXAMPLES_CLOSE in src/kernel/memory/feedback.ts (byte-exact).
EXAMPLES_OPEN = '<examples note="earlier requests and the answers the user approved">'
EXAMPLES_CLOSE = '</examples>'


def one_line(s):
    """A question or answer on one line: newlines replaced by spaces (as feedback.ts does)."""
    return s.replace("\r\n", " ").replace("\n", " ").replace("\r", " ")


def with_examples(pairs, request):
    """The newest user message as the kernel writes it: the examples block, an empty line, the request."""
    lines = [EXAMPLES_OPEN]
    for q, a in pairs:
        lines.append("Q: " + one_line(q))
        lines.append("A: " + one_line(a))
    lines.append(EXAMPLES_CLOSE)
    return "\n".join(lines) + "\n\n" + request


# ----------------------------------------------------------------------------
# notes and the labels users give them (each topic has its own verbs and keywords, so a shared
# keyword decides the label)
# ----------------------------------------------------------------------------
# topic: (labels a user might choose, keywords, note templates with {k})
TOPICS = {
    "shopping": (["shopping", "groceries", "shopping list", "errands", "to buy"],
                 ["milk", "eggs", "bread", "cheese", "apples", "rice", "coffee", "butter", "bananas", "pasta", "yogurt", "flour"],
                 ["buy {k}", "buy {k} and {k2}", "get more {k}", "we are out of {k}", "pick up {k} at the store",
                  "need {k} from the supermarket", "grab {k} and {k2} on the way home", "{k} is almost gone"]),
    "health": (["health", "medical", "doctor stuff", "wellbeing"],
               ["dentist", "doctor", "pills", "vitamins", "checkup", "flu shot", "blood test", "eye exam", "physio", "allergy"],
               ["{k} on Monday", "book the {k}", "{k} appointment next week", "remember the {k}", "call about the {k} results",
                "{k} at the clinic", "ask the nurse about the {k}", "reschedule the {k}"]),
    "work": (["work", "office", "job", "Project Falcon", "client stuff"],
             ["meeting", "report", "slides", "deadline", "invoice", "quarterly review", "standup", "presentation", "contract", "payroll"],
             ["prepare the {k}", "{k} with the team", "send the {k} to the boss", "finish the {k} draft",
              "the {k} moved to Thursday", "review the {k} with legal", "print the {k} for the client", "update the {k} numbers"]),
    "home": (["home", "house", "chores", "repairs"],
             ["kitchen tap", "light bulb", "fridge", "boiler", "windows", "laundry", "dishwasher", "roof", "smoke alarm", "curtains"],
             ["fix the {k}", "clean the {k}", "the {k} is broken", "replace the {k}", "check the {k}",
              "someone should repair the {k}", "the {k} makes a noise", "wash the {k}"]),
    "car": (["car", "vehicle", "garage"],
            ["tyres", "oil change", "car wash", "parking ticket", "brakes", "windscreen", "car insurance", "MOT"],
            ["get the {k} done", "{k} is due", "pay the {k}", "book the {k} at the mechanic", "ask the mechanic about the {k}",
             "the {k} costs too much"]),
    "money": (["money", "finance", "bills", "budget"],
              ["rent", "electricity bill", "taxes", "savings", "bank transfer", "credit card", "pension", "mortgage"],
              ["pay the {k}", "the {k} is late", "move money for the {k}", "check the {k} statement", "sort out the {k}",
               "the {k} went up again"]),
    "travel": (["travel", "trips", "holiday", "vacation"],
               ["flight", "hotel", "passport", "train tickets", "suitcase", "visa", "rental car", "boarding pass"],
               ["book the {k}", "renew the {k}", "pack the {k}", "confirm the {k} for Lisbon", "print the {k}",
                "the {k} for the summer trip", "find a cheaper {k}"]),
    "family": (["family", "kids", "relatives", "personal"],
               ["grandma", "mom's birthday", "school play", "parents evening", "nephew", "wedding anniversary", "babysitter"],
               ["visit {k}", "gift for {k}", "plan {k}", "don't forget {k}", "call about {k}", "photos from {k}"]),
    "garden": (["garden", "plants", "outdoors"],
               ["roses", "lawn", "tomatoes", "hedge", "seeds", "compost", "apple tree", "herbs"],
               ["water the {k}", "trim the {k}", "plant the {k}", "mow the {k}", "fertilize the {k}", "protect the {k} from frost"]),
    "pets": (["pets", "cat", "dog", "animals"],
             ["vet", "cat food", "dog walk", "litter box", "flea treatment", "fish tank", "bird cage"],
             ["book the {k}", "buy {k} for Mochi", "{k} after dinner", "clean the {k}", "the {k} is overdue", "order {k} online"]),
    "school": (["school", "study", "homework", "university"],
               ["essay", "exam", "library book", "math homework", "lab report", "thesis", "lecture notes", "group project"],
               ["finish the {k}", "study for the {k}", "return the {k}", "hand in the {k}", "ask the tutor about the {k}",
                "revise the {k} chapter"]),
    "sport": (["sport", "fitness", "gym", "training"],
              ["gym", "running shoes", "swimming", "yoga", "football match", "tennis lesson", "marathon", "bike ride"],
              ["{k} on Saturday", "sign up for {k}", "new {k}", "{k} with Sam", "skip {k} this week", "train for the {k}"]),
}
GENERIC_LABELS = ["inbox", "later", "misc", "important", "urgent", "archive", "blue folder", "Project Falcon", "Project Orion",
                  "someday", "personal", "red", "green", "A", "B", "folder 2", "private", "keep", "top priority", "notes 2026"]
CLASSIFY_Q = ["Label this note: {n}", "Which folder does this note go in: {n}?", "Classify this note: {n}",
              "What label does this note get: {n}?", "Tag this note: {n}", "Which category is this note in: {n}?",
              "Sort this note: {n}", "Where does this note go: {n}?", "Label: {n}", "Which folder for: {n}?",
              "File this note: {n}", "What folder is this: {n}?"]
HELD_CLASSIFY_Q = ["Put this note in the right folder: {n}", "Categorize this note: {n}", "Which label fits this note: {n}?"]
STOP = D.NOTE_STOP | {"on", "the", "at", "for", "with", "from", "next", "more", "again", "this", "week"}


def content_words(s):
    return {w for w in re.findall(r"[a-z0-9']+", s.lower()) if w not in STOP}


def topic_note(r, topic, keyword=None, template=None):
    labels, kws, tmpls = TOPICS[topic]
    k = keyword or r.choice(kws)
    k2 = r.choice([x for x in kws if x != k])
    return (template or r.choice(tmpls)).replace("{k2}", k2).replace("{k}", k)


def topic_label(r, topic):
    return r.choice(GENERIC_LABELS) if r.random() < 0.3 else r.choice(TOPICS[topic][0])


def classify_q(r, note, frames=CLASSIFY_Q):
    return r.choice(frames).replace("{n}", note)


# ----------------------------------------------------------------------------
# personal facts and other short questions with the answers users approved
# ----------------------------------------------------------------------------
FIRSTS = ["Dana", "Marco", "Priya", "Kenji", "Sara", "Tom", "Lucia", "Omar", "Greta", "Felix", "Ana", "Jonas", "Mei", "Ravi"]
LASTS = ["Lee", "Rossi", "Patel", "Sato", "Berg", "Novak", "Garcia", "Khan", "Meyer", "Silva", "Kowalski", "Brown"]


def _person(r):
    return r.choice(FIRSTS) + (" " + r.choice(LASTS) if r.random() < 0.6 else "")


def _code(r):
    k = r.random()
    if k < 0.4:
        return str(r.randint(1000, 9999))
    if k < 0.6:
        return "-".join(str(r.randint(0, 9)) for _ in range(3))
    if k < 0.8:
        return r.choice(D.SECRET_WORDS) + str(r.randint(10, 99))
    return r.choice("ABCDEFGH") + str(r.randint(1, 99))


FACTS = [  # (question, answer maker)
    ("What is my locker code?", _code), ("What's my locker number?", lambda r: str(r.randint(1, 400))),
    ("Who is my manager?", _person), ("Who is my dentist?", lambda r: "Dr. " + r.choice(LASTS)),
    ("What is the wifi password?", _code), ("What's my bike lock combination?", _code),
    ("What is my cat's name?", lambda r: r.choice(D.CAT_NAMES)), ("What is my dog called?", lambda r: r.choice(D.CAT_NAMES)),
    ("Where did I park?", lambda r: f"Level {r.randint(1, 5)}, row {r.choice('ABCDEFG')}"),
    ("What's my flight number?", lambda r: r.choice(["LH", "BA", "AF", "KL", "UA", "JL"]) + " " + str(r.randint(10, 999))),
    ("When is my dentist appointment?", lambda r: f"{r.choice(D.DAYS)} at {r.randint(1, 12)} {r.choice(['am', 'pm'])}"),
    ("What is my employee ID?", lambda r: "E" + str(r.randint(1000, 99999))),
    ("Which team am I on?", lambda r: r.choice(["Team Blue", "the design team", "Falcon", "sales", "Team 3", "platform"])),
    ("What is my favourite color?", lambda r: r.choice(["teal", "green", "dark red", "yellow", "purple", "navy blue"])),
    ("Who is my best friend?", _person), ("What's my sister's name?", lambda r: r.choice(FIRSTS)),
    ("What room is the meeting in?", lambda r: f"Room {r.randint(1, 9)}{r.randint(0, 2)}{r.randint(1, 9)}"),
    ("What is my gym membership number?", lambda r: str(r.randint(10000, 999999))),
    ("What is our team's project called?", lambda r: "Project " + r.choice(["Falcon", "Orion", "Atlas", "Nova", "Cedar", "Tulip"])),
    ("When is rent due?", lambda r: f"on the {r.choice(['1st', '3rd', '5th', '15th', '28th'])}"),
    ("What size shoes do I wear?", lambda r: str(r.randint(36, 46))),
    ("What's my blood type?", lambda r: r.choice(["A+", "O-", "B+", "AB+", "O+", "A-"])),
    ("What is my apartment number?", lambda r: str(r.randint(1, 120))),
    ("Who do I call for IT help?", _person), ("What is my car's plate number?", lambda r: r.choice("ABCDKLM") + r.choice("ABCDKLM") + " " + str(r.randint(100, 9999))),
    ("How many vacation days do I have left?", lambda r: str(r.randint(0, 30))),
    ("What is my favourite food?", lambda r: r.choice(["pizza", "sushi", "ramen", "tacos", "curry", "pasta"])),
    ("What time does my shift start?", lambda r: f"{r.randint(5, 11)}:{r.choice(['00', '30'])}"),
]
HELD_FACTS = [
    ("What's the code for the office door?", _code), ("Who is my landlord?", _person),
    ("Which platform does my train leave from?", lambda r: str(r.randint(1, 14))),
    ("What is my library card number?", lambda r: str(r.randint(100000, 999999))),
    ("What's my neighbour's name?", _person), ("When is my yoga class?", lambda r: f"{r.choice(D.DAYS)} at {r.randint(5, 9)} pm"),
]
SENTENCE_A = ["Yes, it is done.", "No, not yet.", "It is in the top drawer.", "Ask Dana first.", "Use the blue form.",
              "The meeting is on Friday.", "Keep it short and friendly.", "That goes to the archive.", "Every second Tuesday.",
              "It costs 12 euros.", "Turn left after the bakery.", "Send it to the team chat.", "Only on weekdays.",
              "The spare key is with grandma.", "Call the front desk.", "Both are fine.", "Start with the summary."]


def rand_answer(r):
    """An answer a user might have approved: a label, a number, a name, a short sentence, or random words."""
    k = r.random()
    if k < 0.25:
        return r.choice(r.choice(list(TOPICS.values()))[0] + GENERIC_LABELS)
    if k < 0.4:
        return str(r.choice([r.randint(0, 99), r.randint(100, 9999), r.randint(1, 12)]))
    if k < 0.5:
        return _person(r)
    if k < 0.75:
        return r.choice(SENTENCE_A)
    s = D.rand_sentence(r, 1, 7)
    return s if r.random() < 0.5 else s[:1].upper() + s[1:] + "."


def ordinary_question(r):
    """A short question of any kind: a request of the existing mixture (a tool request, chat, a refusal)."""
    c = D.sample_conversation(r, n_ex=1)
    q = c["messages"][1 if c["messages"][0]["role"] == "system" else 0]["content"]
    return q if "\n" not in q and len(q) < 120 else "What is the capital of France?"


def rand_pair(r, facts=FACTS, frames=CLASSIFY_Q):
    """A random (question, approved answer)."""
    k = r.random()
    if k < 0.35:
        q, fn = r.choice(facts)
        return q, fn(r)
    if k < 0.6:
        t = r.choice(list(TOPICS))
        return classify_q(r, topic_note(r, t), frames), topic_label(r, t)
    return ordinary_question(r), rand_answer(r)


def norm(q):
    return re.sub(r"[^a-z0-9 ]", "", q.lower()).strip()


LIGHT_WRAP = ["Could you tell me {q}", "Can you tell me {q}", "Please tell me {q}", "Tell me {q}"]


def light_variant(r, q):
    """The same question, lightly changed: case, final punctuation / whitespace, "please", a "Could you tell me" wrapper."""
    k = r.random()
    if k < 0.35:
        return q
    if k < 0.5:
        return q.lower()
    if k < 0.6:
        return q.rstrip("?.!") if q[-1:] in "?.!" else q + "?"
    if k < 0.7:
        return q + r.choice([" ", "  ", "\n", " ?", "!"])
    if k < 0.8:
        return r.choice(["Please ", "please ", ""]) + (q[:1].lower() + q[1:] if r.random() < 0.5 else q) + r.choice([" please", "", " please?"])
    if k < 0.9 and q.endswith("?"):
        return r.choice(LIGHT_WRAP).replace("{q}", q[:1].lower() + q[1:])
    return q.upper() if r.random() < 0.3 else q[:1].lower() + q[1:]


def _distractors(r, n, avoid, facts=FACTS, frames=CLASSIFY_Q):
    out = []
    while len(out) < n:
        q, a = rand_pair(r, facts, frames)
        if norm(q) not in {norm(x) for x in avoid} and norm(q) not in {norm(x) for x, _ in out}:
            out.append((q, a))
    return out


def _conv(r, user, answer, kind):
    system = D.pick_system(r)
    tools = D.pick_tools(r, [], {})
    msgs = ([D.S(system)] if system is not None else []) + [D.U(user), D.A(answer)]
    return {"messages": msgs, "tools": tools, "kinds": [(kind, "chat", 0)]}


def copy_case(r, facts=FACTS, frames=CLASSIFY_Q):
    """(pairs, request, answer): the request is one example's question or a light variant of it."""
    n = r.choice([1, 2, 2, 3, 3])
    q, a = rand_pair(r, facts, frames)
    pairs = _distractors(r, n - 1, [q], facts, frames)
    pairs.insert(r.randint(0, len(pairs)), (q, a))
    return pairs, light_variant(r, q), a


def nearest_case(r, frames=CLASSIFY_Q, req_frames=CLASSIFY_Q):
    """(pairs, request, label): labelled notes of different topics; the request is another note of one
    of them sharing a keyword with that example only."""
    while True:
        n = r.choice([1, 2, 2, 3, 3, 3])
        topics = r.sample(list(TOPICS), n)
        notes = [topic_note(r, t) for t in topics]
        j = r.randrange(n)
        kws = [k for k in TOPICS[topics[j]][1] if k in notes[j]]
        if not kws:
            continue
        req = topic_note(r, topics[j], keyword=r.choice(kws))
        if norm(req) == norm(notes[j]):
            continue
        w = content_words(req)
        if not w & content_words(notes[j]) or any(w & content_words(notes[i]) for i in range(n) if i != j):
            continue
        labels = []
        for t in topics:
            lab = topic_label(r, t)
            while lab in labels:
                lab = topic_label(r, t)
            labels.append(lab)
        pairs = [(classify_q(r, nt, frames), lab) for nt, lab in zip(notes, labels)]
        return pairs, classify_q(r, req, req_frames), labels[j]


def ordinary_convs(r):
    """Conversations of the existing mixture with an unrelated examples block on one user message
    (the conversation ends with that exchange: the kernel writes the block into the newest message)."""
    convs = D.sample_training(r)
    c0 = convs[0]
    users = [i for i, m in enumerate(c0["messages"]) if m["role"] == "user"]
    pick = r.choice(users)
    req = c0["messages"][pick]["content"]
    pairs = _distractors(r, r.choice([1, 2, 2, 3, 3]), [req])
    out = []
    for c in convs:
        msgs = [dict(m) for m in c["messages"]]
        end = next((i for i in range(pick + 1, len(msgs)) if msgs[i]["role"] == "user"), len(msgs))
        n_asst = sum(1 for m in msgs[:end] if m["role"] == "assistant")
        msgs = msgs[:end]
        msgs[pick] = D.U(with_examples(pairs, msgs[pick]["content"]))
        out.append({"messages": msgs, "tools": c["tools"], "kinds": c["kinds"][:n_asst]})
    return out


P_COPY, P_NEAREST, P_ANCHOR = 0.40, 0.15, 0.05   # the rest (0.40): ordinary conversations with examples (run 12; runs 10-11: 0.33, 0.22)


def examples_sample(r):
    """A list of conversations (usually one) of the examples family."""
    k = r.random()
    if k < P_COPY:
        pairs, req, a = copy_case(r)
        return [_conv(r, with_examples(pairs, req), a, "ex_copy")]
    if k < P_COPY + P_NEAREST:
        pairs, req, a = nearest_case(r)
        return [_conv(r, with_examples(pairs, req), a, "ex_nearest")]
    if k < P_COPY + P_NEAREST + P_ANCHOR:
        q = r.choice(FACTS)[0] if r.random() < 0.5 else classify_q(r, topic_note(r, r.choice(list(TOPICS))))
        return [_conv(r, D.vary(r, q), D.NO_TOOL, "ex_anchor")]
    return ordinary_convs(r)


# ----------------------------------------------------------------------------
# arithmetic word problems -> calculator
# ----------------------------------------------------------------------------
OBJECTS = ["apples", "pencils", "stickers", "marbles", "cookies", "books", "cards", "coins", "stamps", "eggs", "balloons",
           "candies", "shells", "toy cars", "oranges", "crayons", "cupcakes", "flowers", "buttons", "beads", "tickets",
           "bottles", "plates", "chairs", "boxes of tea", "postcards", "comics", "muffins", "lemons", "nails"]
PEOPLE_W = D.NAMES + ["Tom", "Mia", "Leo", "Anna", "Ben", "Sofia", "Max", "Lily", "Ali", "Chen", "Maya", "Ivan"]
PRON = {}  # name -> he/she/they: kept neutral with "they" only where needed; templates avoid pronouns mostly

# (op, template, expression order): {p} person, {o} objects, {a} {b} numbers; expression a op b.
WORD_T = [
    ("+", "{p} has {a} {o} and buys {b} more. How many {o} does {p} have now?"),
    ("+", "{p} has {a} {o}. {p} gets {b} more. How many {o} does {p} have?"),
    ("+", "{p} had {a} {o} and found {b} more. How many {o} are there now?"),
    ("+", "There are {a} {o} in a box. Another {b} arrive. How many {o} are in the box now?"),
    ("+", "{p} collected {a} {o} on Monday and {b} on Tuesday. How many {o} in total?"),
    ("+", "A shop sold {a} {o} in the morning and {b} in the afternoon. How many {o} did it sell?"),
    ("+", "{p} has {a} {o}. A friend gives {p} {b} more. How many {o} now?"),
    ("+", "There are {a} {o} on the table and {p} puts {b} more there. How many {o} are on the table?"),
    ("-", "{p} has {a} {o} and gives away {b}. How many {o} are left?"),
    ("-", "{p} had {a} {o} and ate {b}. How many {o} does {p} have left?"),
    ("-", "{p} has {a} {o}. {p} loses {b} of them. How many {o} are left?"),
    ("-", "A shop has {a} {o} and sells {b}. How many {o} remain?"),
    ("-", "There were {a} {o} in the jar. {p} took {b}. How many {o} are still in the jar?"),
    ("-", "{p} bought {a} {o} and broke {b}. How many {o} are not broken?"),
    ("-", "{p} has {a} {o} and uses {b}. How many {o} are left over?"),
    ("*", "{p} has {a} boxes with {b} {o} in each. How many {o} is that?"),
    ("*", "There are {a} rows of {o} with {b} in each row. How many {o} are there?"),
    ("*", "{p} buys {a} packs of {o}. Each pack has {b} {o}. How many {o} does {p} buy?"),
    ("*", "Each bag holds {a} {o}. How many {o} are in {b} bags?"),
    ("*", "{o} cost {a} dollars each. How much do {b} {o} cost?"),
    ("*", "{p} reads {a} pages a day for {b} days. How many pages is that?"),
    ("*", "A class has {a} tables with {b} children at each table. How many children are there?"),
    ("/", "{p} shares {a} {o} equally among {b} friends. How many {o} does each friend get?"),
    ("/", "{p} splits {a} {o} into {b} equal groups. How many {o} are in each group?"),
    ("/", "{a} {o} are packed into bags of {b}. How many bags are there?"),
    ("/", "A bill of {a} dollars is split between {b} people. How much does each person pay?"),
    ("/", "{a} {o} are shared by {b} children. How many {o} per child?"),
    ("/", "{p} has {a} {o} and puts the same number in each of {b} boxes. How many {o} go in each box?"),
    ("/", "{a} students are split into teams of {b}. How many teams are there?"),
]
HELD_WORD_T = [
    ("+", "In the morning {p} picked {a} {o}. Later {p} picked {b} more. How many {o} did {p} pick altogether?"),
    ("+", "{p} owns {a} {o} and receives {b} as a gift. What is the total number of {o}?"),
    ("-", "{p} started with {a} {o} and sold {b} of them. How many {o} does {p} still have?"),
    ("-", "Out of {a} {o}, {b} were lost on the way. How many {o} arrived?"),
    ("*", "{p} bought {a} crates and every crate contains {b} {o}. How many {o} did {p} buy?"),
    ("*", "One ticket costs {a} dollars. What do {b} tickets cost?"),
    ("/", "{a} {o} must be divided equally between {b} kids. How many {o} does each kid receive?"),
    ("/", "{p} wants to pour {a} liters of juice into {b} jugs equally. How many liters per jug?"),
]


def word_numbers(r, op):
    if op == "+":
        return r.choice([r.randint(1, 20), r.randint(10, 99), r.randint(100, 999)]), r.choice([r.randint(1, 20), r.randint(10, 99), r.randint(100, 500)])
    if op == "-":
        a = r.choice([r.randint(5, 30), r.randint(20, 99), r.randint(100, 999)])
        return a, r.randint(1, a - 1)
    if op == "*":
        return r.choice([r.randint(2, 12), r.randint(10, 60)]), r.choice([r.randint(2, 12), r.randint(10, 40), r.randint(100, 250)])
    b = r.randint(2, 12)
    if r.random() < 0.9:
        return b * r.choice([r.randint(1, 12), r.randint(10, 80)]), b
    return r.randint(10, 200), b


def make_word(r, templates):
    op, t = r.choice(templates)
    a, b = word_numbers(r, op)
    obj = r.choice(OBJECTS)
    q = t.replace("{p}", r.choice(PEOPLE_W)).replace("{a}", str(a)).replace("{b}", str(b)).replace("{o}", obj)
    q = q[:1].upper() + q[1:]
    expr = f"{a}{op}{b}"
    res = D.calc_value(D.OPS[op][1](a, b))
    return q, expr, res, f"{expr} = {D.js_num(res)}."


def word_sample(r, err=None):
    q, expr, res, ans = make_word(r, WORD_T)
    q = D.vary(r, q, allow_lower=False, please=False)
    return D.exchange(q, "calculator", {"expression": expr}, res, ans, err and r.choice(D.CALC_ERRORS))


# Registered as an exchange kind of weight 0: never drawn at random by aios_data, but
# sample_conversation(first="wordprob") gives it the Tools line, offered / not offered, errors
# and other exchanges after it like every tool request.
D.EXCHANGES.setdefault("wordprob", (word_sample, "calculator", 0))


def word_training(r, p_twin=0.45):
    """A word problem as the first exchange of a conversation (its twin with the offering flipped, sometimes)."""
    seed = r.random()
    c = D.sample_conversation(random.Random(seed), first="wordprob")
    kind = c["kinds"][0][1]
    if kind in ("call", "noroute") and len({k[2] for k in c["kinds"]}) == 1 and r.random() < p_twin:
        return [c, D.sample_conversation(random.Random(seed), first="wordprob", offer=(kind == "noroute"))]
    return [c]


def heldout_word(seed=777, n=60):
    r = random.Random(seed)
    out, seen = [], set()
    per_op = {op: [t for t in HELD_WORD_T if t[0] == op] for op in "+-*/"}
    while len(out) < n:
        op = "+-*/"[len(out) % 4]
        q, expr, res, ans = make_word(r, per_op[op])
        if q in seen:
            continue
        seen.add(q)
        out.append({"prompt": q, "expression": expr, "result": res, "call": D.tool_call("calculator", {"expression": expr}), "answer": ans})
    return out


def write_heldout_word(path):
    with open(path, "w") as f:
        json.dump({"note": "written by tools/aios_teams.py (write_heldout_word): 60 word problems from HELD_WORD_T, templates never trained",
                   "items": heldout_word()}, f, indent=1, ensure_ascii=False)
        f.write("\n")


if __name__ == "__main__":
    r = random.Random(1)
    for _ in range(6):
        for c in examples_sample(r):
            print(D.render(c["messages"], False, c["tools"]))
            print("----")
    for _ in range(3):
        for c in word_training(r):
            print(D.render(c["messages"], False, c["tools"]))
            print("----")
