"""Natural-language programming data for aios-tiny (issue 12, part 5): "make me an app that ..."
requests and the app each one asks for, written as the JSON the kernel's draft call decodes under
its schema (src/kernel/apps/draft.ts: DRAFT_SYSTEM, DRAFT_SCHEMA), and conversations of each
drafted app at work (its instructions as the system prompt, a request of its kind, the tool call).

Every family has training wordings and held-out wordings (both the sentence frame and the task
phrase differ); `write_heldout` writes the held-out requests to tools/heldout_apps.json, which
bench/draft-eval.ts drafts through the real kernel and test-runs.
"""
import json
import random

import aios_data as D

# Must equal DRAFT_SYSTEM in src/kernel/apps/draft.ts (test/unit/kernel/apps/draft.test.ts checks it
# against tools/heldout_apps.json).
DRAFT_SYSTEM = ("You design apps for AIOS. Write the app the user asks for as JSON: its name, icon, description, "
                "the capabilities it needs, its instructions and an example request.")

# The spec's keys, in the schema's order (XGrammar writes them in this order, indented by 2).
SPEC_KEYS = ["name", "icon", "description", "capabilities", "instructions", "example"]


def F(key, name, icon, description, capabilities, instructions, example, use, asks, nouns, held_asks, held_nouns, probes):
    """A family of app requests. `use`: the exchanges (aios_data.EXCHANGES names) its app does;
    `probes`: requests the test-run sends the drafted app, with the tool its first step must call."""
    return dict(key=key, spec=dict(name=name, icon=icon, description=description, capabilities=capabilities,
                                   instructions=instructions, example=example),
                use=use, asks=asks, nouns=nouns, held_asks=held_asks, held_nouns=held_nouns, probes=probes)


FAMILIES = [
    F("converter", "Unit converter", "📏", "Converts values between units of length, weight, volume, speed and temperature.",
      ["units"],
      "You convert units. When the user gives a value and two units, call units with the value, from and to, then answer with the converted value.",
      "How many miles is 5 km?", ["units"],
      ["converts units", "converts kilometers to miles", "converts celsius to fahrenheit", "does unit conversions",
       "changes one unit into another", "converts between metric and imperial units", "converts measurements",
       "tells me how many miles a distance in km is", "converts weights and lengths", "converts temperatures", "converts miles to kilometers", "converts grams to ounces", "converts liters to gallons", "changes inches to centimeters", "does conversions between units", "helps with unit conversions", "converts speeds and distances", "works out conversions for me"],
      ["unit converter", "units converter", "conversion tool", "measurement converter", "temperature converter"],
      ["turns pounds into kilograms", "helps me convert measurements", "translates feet into meters", "switches values between units"],
      ["unit conversion helper", "metric converter"],
      [("How many miles is 5 km?", "units"), ("Convert 20 celsius to fahrenheit", "units")]),
    F("reminder", "Reminder", "⏰", "Reminds you of things with a notification.",
      ["notify"],
      "You set reminders. When the user asks to be reminded of something, call notify with a short title saying what to do, then confirm.",
      "Remind me to call mom", ["notify"],
      ["reminds me of things", "sets reminders", "reminds me to do things", "sends me reminders", "notifies me about my tasks",
       "pings me with reminders", "reminds me to drink water", "reminds me of my appointments", "gives me reminders", "reminds me to take my medicine", "makes sure I remember things", "sends me a notification to remind me", "reminds me about bills", "helps me remember to do stuff", "pops up reminders", "tells me when to do my tasks"],
      ["reminder", "reminder app", "reminders tool", "notification reminder"],
      ["nudges me so I don't forget things", "alerts me when I need to do something", "keeps reminding me about chores"],
      ["to-do reminder", "memory jogger"],
      [("Remind me to call mom", "notify"), ("Remind me to water the plants", "notify")]),
    F("notes", "Note taker", "📝", "Saves your notes as files and finds them again.",
      ["files"],
      "You take notes. To save a note, write it with files.write to notes/<a short topic>.md. To find a note, use files.search, then read it with files.read.",
      "Note that the spare key is under the blue flowerpot.", ["fwrite", "fsearch", "fread"],
      ["takes notes", "saves my notes", "keeps my notes", "writes down what I tell it", "stores notes for me",
       "lets me save and find notes", "remembers notes for me", "saves notes as files", "keeps a notebook for me", "writes notes for me", "saves what I want to remember", "keeps track of my ideas", "lets me write down ideas", "saves little notes", "stores my thoughts in notes", "finds my old notes"],
      ["note taker", "notes app", "note-taking app", "notebook", "notepad"],
      ["jots things down for me", "records my thoughts so I can look them up later", "files away what I say"],
      ["memo keeper", "digital notebook"],
      [("Note that the spare key is under the blue flowerpot.", "files.write"), ("Save a note: buy milk and bread", "files.write")]),
    F("where", "Place logger", "📍", "Tells you where you are and keeps a log of the places.",
      ["geolocation", "clock", "files"],
      "When the user asks where they are, get the location with geolocation and tell it.",
      "Where am I?", ["geo"],
      ["tells me where I am", "logs where I am", "finds my location", "shows my location", "tracks where I have been",
       "tells me my coordinates", "keeps a log of my locations", "records my position", "says where I am right now", "gets my location", "logs the places I go", "tells me my position", "remembers where I was", "shows me where I am on the map", "checks my location"],
      ["location logger", "where am I app", "place logger", "location finder", "GPS logger"],
      ["figures out my position and writes it down", "lets me check my whereabouts", "notes the places I visit"],
      ["whereabouts tracker", "position journal"],
      [("Where am I?", "geolocation"), ("What is my location?", "geolocation")]),
    F("camera", "Camera text reader", "📷", "Reads the text in front of the camera.",
      ["camera", "files"],
      "When asked, read the text in front of the camera with camera.read and tell the user what it says.",
      "What does this sign say?", ["camread"],
      ["reads text with the camera", "reads signs with my camera", "reads what is in front of the camera",
       "scans text with the camera", "reads labels for me", "uses the camera to read text", "reads printed text aloud to me from the camera",
       "reads the words on a page with the camera", "reads text from the camera", "tells me what a sign says", "reads documents with the webcam", "reads the text I point the camera at", "recognizes words with the camera", "reads menus with the camera"],
      ["camera reader", "text scanner", "OCR app", "sign reader", "label reader"],
      ["looks at a page through the webcam and tells me the words", "recognizes text the camera sees", "deciphers signs I point my camera at"],
      ["webcam text recognizer", "document scanner"],
      [("What does this sign say?", "camera.read"), ("Read the text in front of the camera.", "camera.read")]),
    F("quiz", "Notes quiz", "❓", "Quizzes you on your notes.",
      ["files"],
      "You quiz the user on their notes. List the notes with files.list, then ask one question about a note.",
      "Quiz me on my notes", ["quiz"],
      ["quizzes me on my notes", "tests me on my notes", "asks me questions about my notes", "makes a quiz from my notes",
       "helps me study my notes", "gives me a quiz on what I wrote", "tests what I remember from my notes", "quizzes me", "asks me questions to study", "makes flashcards from my notes", "tests my knowledge of my notes", "helps me revise my notes", "asks me about what I saved"],
      ["notes quiz", "quiz app", "flashcard app", "study quiz", "quiz maker"],
      ["checks how well I know my notes", "drills me on the things I wrote down", "turns my notes into questions"],
      ["revision quizzer", "study buddy"],
      [("Quiz me on my notes", "files.list"), ("Ask me a question about my notes", "files.list")]),
    F("calculator", "Calculator", "🧮", "Does math for you.",
      ["calculator"],
      "You do math. Call calculator with the expression, then answer with the result.",
      "What is 12 times 7?", ["calc"],
      ["does math", "calculates things", "does arithmetic", "adds and multiplies numbers", "solves math problems",
       "computes sums", "does my calculations", "works out numbers for me", "does sums", "multiplies numbers", "calculates percentages", "solves arithmetic", "helps with math", "adds up numbers for me"],
      ["calculator", "math app", "calculator app", "arithmetic helper", "math helper"],
      ["crunches numbers for me", "figures out sums and products", "handles my math homework numbers"],
      ["number cruncher", "sum solver"],
      [("What is 12 times 7?", "calculator"), ("What is 345 plus 678?", "calculator")]),
    F("clock", "World clock", "🕒", "Tells the time and date here or in any city.",
      ["clock"],
      "You tell the time. Call clock (with timeZone for a city) and answer with the time and date.",
      "What time is it in Tokyo?", ["clock"],
      ["tells the time", "tells me the time in other cities", "shows the time around the world", "tells me the date",
       "tells the time in any time zone", "shows what time it is", "tells me today's date", "tells me what time it is in Tokyo", "shows the time in other countries", "tells the date and time", "gives me the time anywhere", "tells me the time zone time"],
      ["world clock", "clock", "time zone app", "clock app", "time teller"],
      ["lets me check the hour abroad", "knows what time it is everywhere", "answers what day it is"],
      ["time zone converter", "global clock"],
      [("What time is it in Tokyo?", "clock"), ("What is the date today?", "clock")]),
    F("speak", "Read aloud", "🔊", "Says text aloud with speech synthesis.",
      ["speak"],
      "You read text aloud. Call speak with the text the user gives, then confirm.",
      "Say good morning aloud", ["speak"],
      ["reads text aloud", "says things out loud", "speaks what I type", "reads my text out loud", "talks for me",
       "says sentences aloud", "turns text into speech", "reads things out loud", "says my text out loud", "speaks text for me", "reads sentences aloud", "says words out loud for me"],
      ["text to speech app", "read aloud app", "speaker", "voice app", "talking app"],
      ["pronounces what I write", "voices my messages", "speaks my words for me"],
      ["speech synthesizer", "narrator"],
      [("Say good morning aloud", "speak"), ("Speak: the meeting starts at noon", "speak")]),
    F("clipboard", "Clipboard viewer", "📋", "Tells you what is on the clipboard.",
      ["clipboard:read", "files"],
      "When asked, read the clipboard with clipboard.read and tell the user what it holds.",
      "What is on my clipboard?", ["clipread"],
      ["reads my clipboard", "shows what I copied", "tells me what is on the clipboard", "saves what I copied",
       "shows my clipboard", "reads the text I copied", "tells me what I copied", "reads what is on my clipboard", "shows the clipboard text", "checks my clipboard", "tells me the copied text"],
      ["clipboard viewer", "clipboard app", "clipboard reader", "copy viewer"],
      ["reveals what I last copied", "checks the copied text for me", "peeks at my clipboard contents"],
      ["paste board viewer", "clipboard inspector"],
      [("What is on my clipboard?", "clipboard.read"), ("Read my clipboard", "clipboard.read")]),
]

FRAMES = ["Make me an app that {t}", "make an app that {t}", "Build an app that {t}", "I want an app that {t}",
          "Create an app that {t}", "Can you make an app that {t}?", "Write me an app that {t}", "make me an app that {t}",
          "I need an app that {t}", "Make an app which {t}", "build me an app that {t}", "An app that {t}, please",
          "create an app which {t}", "Please make an app that {t}", "I want to make an app that {t}", "Can you create an app that {t}?",
          "make an app for me that {t}", "Build me something that {t}", "Make a new app that {t}", "Write an app which {t}",
          "Could you make an app that {t}?", "Create me an app that {t}", "app that {t}", "I need something that {t}"]
NOUN_FRAMES = ["Make me a {n}", "make a {n}", "Build a {n}", "I want a {n}", "Create a {n} app", "I need a {n}",
               "Can you build a {n}?", "make me a {n} app", "Build me a {n}", "Create a {n}", "Write a {n} app",
               "I'd like a {n}", "Make a {n} for me", "Please build a {n}", "Can you make me a {n}?", "Give me a {n} app"]
HELD_FRAMES = ["Could you put together an app that {t}?", "I'd like an app which {t}", "Please design an app that {t}",
               "new app: something that {t}", "Is it possible to get an app that {t}?"]
HELD_NOUN_FRAMES = ["Set up a {n} for me", "I could use a {n}", "Can I get a {n}?"]


def article(phrase):
    low = phrase.lower()
    return "an" if low[:1] in "aeiou" and not low.startswith(("uni", "use", "eu")) else "a"


def fill(frame, t=None, n=None):
    s = frame.replace("{t}", t) if t is not None else frame.replace("{n}", n)
    if n is not None:
        s = s.replace(" a " + n, " " + article(n) + " " + n).replace(" app app", " app")
    return s


def request(r, fam):
    """A training wording of a request for `fam`'s app."""
    if r.random() < 0.7:
        return D.vary(r, fill(r.choice(FRAMES), t=r.choice(fam["asks"])), allow_lower=True, please=False)
    return D.vary(r, fill(r.choice(NOUN_FRAMES), n=r.choice(fam["nouns"])), allow_lower=True, please=False)


def spec_json(spec):
    """The spec as the draft's grammar writes it: json.dumps order and separators, indent 2."""
    return json.dumps({k: spec[k] for k in SPEC_KEYS}, indent=2, ensure_ascii=False)


def draft_sample(r):
    fam = r.choice(FAMILIES)
    return {"messages": [D.S(DRAFT_SYSTEM), D.U(request(r, fam)), D.A(spec_json(fam["spec"]))], "tools": None,
            "kinds": [("draft", "chat", 0)]}


# A quiz app's step: list the notes, then ask about one.
QUIZ_Q = ["Quiz me on my notes", "quiz me", "Ask me a question about my notes", "Test me on my notes", "Give me a quiz",
          "Quiz me!", "Ask me something from my notes", "Start the quiz", "Make a quiz from my notes", "Test my memory of my notes"]


def quiz_sample(r, err=None):
    user = D.vary(r, r.choice(QUIZ_Q), allow_lower=False, please=False)
    n = r.choice([0, 1, 2, 2, 3, 3, 4])
    paths = []
    while len(paths) < n:
        p = "notes/" + D.rand_path(r).split("/")[-1]
        if p not in paths:
            paths.append(p)
    res = [{"path": p, "size": r.randint(8, 900)} for p in paths]
    if n == 0:
        ans = "You have no notes to quiz you on yet."
    else:
        topic = r.choice(paths)[len("notes/"):].rsplit(".", 1)[0].replace("-", " ")
        ans = f"Question: what do you remember about {topic}?"
    e = err and r.choice(D.FILES_ERRORS_R)
    e = e and (e[0], e[1].replace("{t}", "files.list"))
    return D.exchange(user, "files.list", {"prefix": "notes/"}, res, ans, e)


USE_FNS = {"quiz": (quiz_sample, "files.list")}


def app_tools(r, needed):
    """A Tools line as an app sees it: its tool among others, or all the kernel offers."""
    k = r.random()
    if k < 0.3:
        return list(D.KERNEL_ORDER)
    pool = [t for t in D.ALL_TOOLS if t != needed]
    lst = [needed] + r.sample(pool, r.randint(0, 8))
    return [t for t in D.KERNEL_ORDER if t in lst] if r.random() < 0.6 else r.sample(lst, len(lst))


def app_use_sample(r):
    """A drafted app at work: its instructions as the system prompt, one request it is for."""
    fam = r.choice(FAMILIES)
    name = r.choice(fam["use"])
    fn, tool = USE_FNS.get(name) or D.EXCHANGES[name][:2]
    ex = fn(r, r.random() < D.P_ERROR)
    if name != "quiz":
        ex[0] = D.U(D.politely(r, ex[0]["content"]))
    return {"messages": [D.S(fam["spec"]["instructions"])] + ex, "tools": app_tools(r, tool), "kinds": [(name, "call", 0)]}


def heldout_requests(seed=4321, per_family=6, per_family_frames=4):
    """The held-out requests, two kinds per family: `phrases` — a held-out sentence frame around a
    task phrase or app noun never trained on ("crunches numbers", "a narrator"); `frames` — a held-out
    sentence frame around a trained task phrase. No request equals a training request."""
    r = random.Random(seed)
    out = []
    for fam in FAMILIES:
        probes = [{"input": p, "tool": t} for p, t in fam["probes"]]
        for split, n, asks, nouns in (("phrases", per_family, fam["held_asks"], fam["held_nouns"]),
                                      ("frames", per_family_frames, fam["asks"], fam["nouns"])):
            seen = set()
            while len(seen) < n:
                if r.random() < 0.7:
                    q = fill(r.choice(HELD_FRAMES), t=r.choice(asks))
                else:
                    q = fill(r.choice(HELD_NOUN_FRAMES), n=r.choice(nouns))
                seen.add(q)
            for q in sorted(seen):
                out.append({"request": q, "family": fam["key"], "split": split, "capabilities": fam["spec"]["capabilities"], "probes": probes})
    return out


def write_heldout(path):
    with open(path, "w") as f:
        json.dump({"system": DRAFT_SYSTEM, "note": "written by tools/aios_apps.py (write_heldout): split 'phrases' = held-out frame and held-out task phrase, 'frames' = held-out frame around a trained task phrase; no request is a training request",
                   "requests": heldout_requests()}, f, indent=1, ensure_ascii=False)
        f.write("\n")


def eval_drafts(model, tok, requests, max_new=400):
    """Greedy drafts (no grammar: the kernel adds one) of `requests`: how many parse as JSON with
    the family's capabilities."""
    eos = tok.special_ids["<|im_end|>"]
    valid = right = 0
    misses = []
    for item in requests:
        prompt = D.render([D.S(DRAFT_SYSTEM), D.U(item["request"])], True)
        out = tok.decode(model.greedy(tok.encode(prompt), max_new, eos), skip_special_tokens=True)
        try:
            spec = json.loads(out)
            valid += 1
            ok = sorted(spec.get("capabilities", [])) == sorted(item["capabilities"])
        except ValueError:
            ok = False
        right += ok
        if not ok:
            misses.append((item["request"], out[:120]))
    return {"n": len(requests), "json": valid, "family": right, "misses": misses}


def eval_draft_splits(model, tok, requests):
    """eval_drafts per held-out split."""
    return {split: eval_drafts(model, tok, [q for q in requests if q["split"] == split]) for split in sorted({q["split"] for q in requests})}
