#!/usr/bin/python3
"""Train aios-embed (a tiny BERT sentence encoder) from scratch on synthetic personal-memory
data and export it for Transformers.js (model_type "bert", feature-extraction, mean pooling).

    /usr/bin/python3 tools/make_embedder.py            # full run (~5 min on 2 cores)
    /usr/bin/python3 tools/make_embedder.py --quick    # ~1 min smoke version, same formats

Writes public/models/aios-embed/{config.json, tokenizer.json, tokenizer_config.json,
onnx/model.onnx} and test/fixtures/embed-reference.json.  See tools/README.md.

Data: facts an agent would remember ("My dog's name is Biscuit.", "I live in Lisbon.") paired
with questions about them ("what is my dog called?", "where do I live?"), fact paraphrases and
multi-fact notes.  Every relation's query and fact templates, the entity values (by hash) and
some project names are split into train / held-out; the final evaluation ranks each held-out
query's fact among 200 held-out facts (recall@1, MRR) using only held-out templates and values.
"""
import argparse
import json
import math
import os
import random
import subprocess
import sys
import time
import zlib

# As in make_model.py: OpenBLAS threads the matmuls, torch's own pool stays at 1 thread.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "2")

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import aios_tokenizer as TK  # noqa: E402
from aios_onnx import pin_signature  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "public", "models", "aios-embed")
FIXTURE = os.path.join(ROOT, "test", "fixtures", "embed-reference.json")

SEED = 4321
VOCAB_SIZE = 2048
MAX_LEN = 128  # max_position_embeddings and the tokenizer's model_max_length
HIDDEN, LAYERS, HEADS, FFN = 128, 3, 4, 320


def log(*a):
    print(*a, flush=True)


def h(s):
    return zlib.crc32(s.encode("utf-8"))


def heldout_value(v):
    """~20% of entity values are held out for evaluation (stable across runs)."""
    return h("v:" + v) % 5 == 0


# =====================================================================================
# entity pools and value generators
# =====================================================================================
PET_NAMES = ("Biscuit Luna Max Pepper Milo Bella Charlie Coco Rocky Daisy Oscar Loki Nala Simba Ziggy Mochi Peanut "
             "Waffles Pickles Noodle Bailey Cooper Ginger Shadow Tiger Pumpkin Muffin Toby Rosie Bruno Jasper Olive "
             "Pip Kiwi Sunny Hazel Maple Bear Duke Fig Pancake Sushi Juniper Ruby Bandit Clover Echo Nugget Taco "
             "Pixel Buster Marley Winston Hershey Sprout Dumpling Zeus Cleo Goose").split()
PERSON_NAMES = ("Anna Maria John David Sarah Tom Emma Lucas Sofia Noah Mia Liam Olivia Ethan Chloe Daniel Laura Peter "
                "Julia Marco Elena Pablo Yuki Hiro Aisha Omar Fatima Ivan Olga Pierre Claire Hans Greta Raj Priya Chen "
                "Mei Kofi Amara Diego Lucia Sven Ingrid Tariq Leila Mateo Nora Felix Ines Jonas Rosa Victor Alice Ben "
                "Carlos Dana Eli Frank Grace Hugo Isabel Jamal Kenji Lars Miguel Nadia Oscar Paula Quentin Rita Samuel "
                "Tanya Ursula Viktor Wendy Xavier Yara Zoe Bruno Camille Dmitri Esther Farah").split()
SURNAMES = "Silva Smith Mueller Rossi Tanaka Kim Novak Dubois Garcia Costa Jensen Okafor Patel Nguyen Ivanova Cohen".split()
CITIES = ("Lisbon Paris Berlin Madrid Rome London Tokyo Osaka Seoul Toronto Boston Chicago Denver Austin Seattle "
          "Vienna Prague Warsaw Dublin Oslo Stockholm Helsinki Athens Istanbul Cairo Nairobi Lagos Mumbai Delhi "
          "Bangkok Hanoi Sydney Melbourne Auckland Lima Bogota Santiago Montreal Porto Barcelona Munich Zurich Geneva "
          "Brussels Amsterdam Copenhagen Krakow Budapest Vancouver Kyoto Marseille Lyon Seville Valencia Naples Milan "
          "Hamburg Edinburgh Glasgow Reykjavik Tallinn Riga Vilnius Sofia Bucharest Belgrade Zagreb Ljubljana "
          "Casablanca Tunis Accra Dakar Manila Jakarta Singapore Taipei Shanghai Beijing Perth Brisbane Quito "
          "Havana Miami Phoenix Portland Atlanta").split()
COMPANIES = ["Acme", "Globex", "Initech", "Hooli", "Pied Piper", "Vandelay Industries", "Soylent", "Tyrell", "Cyberdyne",
             "Aperture", "Black Mesa", "Stark Industries", "Wayne Enterprises", "Umbrella", "Wonka", "Dunder Mifflin",
             "Oscorp", "Massive Dynamic", "Virtucon", "Monarch", "Prestige Worldwide", "Gringotts", "Nakatomi",
             "Blue Sun", "Weyland", "Zorg", "Sirius Cybernetics", "Omni Consumer Products", "Bluth Company", "Strickland Propane"]
JOBS = ["a nurse", "a teacher", "a lawyer", "a pilot", "a chef", "an architect", "an engineer", "a plumber", "a designer",
        "an accountant", "a journalist", "a farmer", "a baker", "a firefighter", "a pharmacist", "an electrician",
        "a librarian", "a translator", "a photographer", "a software developer", "a data scientist", "a carpenter",
        "a veterinarian", "a mechanic", "a physicist", "a musician", "a police officer", "a surgeon", "a florist",
        "a real estate agent", "a project manager", "a barista", "a dentist", "an actor", "a painter", "a tailor"]
COLORS = ("red blue green purple orange yellow teal black white pink turquoise crimson navy gold silver lavender "
          "maroon beige olive cyan magenta indigo amber emerald").split()
FOODS = ["pizza", "sushi", "lasagna", "tacos", "ramen", "curry", "paella", "dumplings", "pho", "falafel", "risotto",
         "burritos", "pancakes", "gnocchi", "moussaka", "biryani", "kimchi", "pad thai", "fish and chips", "goulash",
         "ceviche", "bibimbap", "shakshuka", "pierogi", "croissants", "mushroom soup", "couscous", "burgers",
         "olives", "brussels sprouts", "liver", "anchovies", "cilantro", "blue cheese", "oysters", "tofu"]
MOVIES = ["Inception", "Amelie", "Alien", "Casablanca", "Jaws", "Up", "Heat", "Her", "Vertigo", "Arrival", "Whiplash",
          "Coco", "Parasite", "Gravity", "Rocky", "The Matrix", "Spirited Away", "Blade Runner", "Titanic", "Goodfellas",
          "Amadeus", "Fargo", "Psycho", "Memento", "Ratatouille", "Interstellar", "Notting Hill", "Moonlight"]
BOOKS = ["Dune", "Emma", "Ulysses", "Beloved", "Hamlet", "Dracula", "Matilda", "Persuasion", "Frankenstein",
         "Neuromancer", "Solaris", "Middlemarch", "Siddhartha", "Rebecca", "The Hobbit", "Moby Dick", "Don Quixote",
         "War and Peace", "Jane Eyre", "The Stranger", "Blindness", "Lolita", "Walden", "Foundation"]
SONGS = ["Bohemian Rhapsody", "Imagine", "Hallelujah", "Yesterday", "Wonderwall", "Hey Jude", "Let It Be", "Clocks",
         "Yellow", "Jolene", "Africa", "Vogue", "Thriller", "Halo", "Creep", "Heroes", "Fix You", "Zombie", "Toxic"]
BANDS = ["Radiohead", "the Beatles", "Queen", "Coldplay", "ABBA", "Nirvana", "Daft Punk", "Metallica", "Pink Floyd",
         "the Cure", "Muse", "Blur", "Oasis", "Portishead", "Massive Attack", "Arcade Fire", "the Strokes", "Bjork"]
SPORTS = ["tennis", "football", "basketball", "cycling", "swimming", "climbing", "rugby", "golf", "volleyball",
          "skiing", "surfing", "hockey", "badminton", "rowing", "table tennis", "cricket", "baseball", "judo"]
TEAMS = ["Benfica", "Arsenal", "the Lakers", "the Yankees", "Ajax", "Celtic", "Juventus", "the Celtics", "Sporting",
         "the Bulls", "Bayern", "Liverpool", "Napoli", "the Packers", "the Warriors", "Boca Juniors", "Galatasaray"]
DRINKS = ["coffee", "green tea", "lemonade", "espresso", "mint tea", "hot chocolate", "orange juice", "kombucha",
          "matcha", "chai", "sparkling water", "iced tea", "cola", "red wine", "apple juice", "oat latte"]
SEASONS = ["spring", "summer", "autumn", "winter", "fall"]
ANIMALS = ["otters", "owls", "foxes", "dolphins", "penguins", "elephants", "wolves", "koalas", "pandas", "giraffes",
           "octopuses", "hedgehogs", "sloths", "red pandas", "whales", "tigers", "crows", "capybaras"]
FRUITS = ["mango", "kiwi", "banana", "cherries", "peaches", "pineapple", "lychee", "figs", "plums", "apricots",
          "strawberries", "watermelon", "blueberries", "papaya", "pomegranate", "grapes", "passion fruit"]
GAMES = ["chess", "Tetris", "Minecraft", "Zelda", "poker", "Go", "Catan", "Scrabble", "Portal", "Monopoly",
         "Civilization", "Stardew Valley", "Mario Kart", "Dark Souls", "Ticket to Ride", "backgammon"]
PLANGS = ["Rust", "Python", "TypeScript", "Go", "Haskell", "Ruby", "Kotlin", "Elixir", "OCaml", "Zig", "C", "Julia",
          "Swift", "Lua", "Java", "Scala", "Clojure", "C++", "Erlang", "F#", "Dart", "Nim"]
EDITORS = ["vim", "emacs", "VS Code", "Sublime Text", "nano", "Helix", "Zed", "Neovim", "IntelliJ", "Kate", "micro"]
DESSERTS = ["tiramisu", "cheesecake", "apple pie", "creme brulee", "brownies", "baklava", "pastel de nata",
            "ice cream", "chocolate mousse", "panna cotta", "carrot cake", "churros", "mochi", "pavlova"]
FLOWERS = ["roses", "tulips", "sunflowers", "lilies", "orchids", "daisies", "peonies", "lavender", "poppies",
           "jasmine", "magnolias", "dahlias", "irises", "marigolds"]
SHOWS = ["Friends", "The Office", "Breaking Bad", "Succession", "Seinfeld", "Dark", "Fleabag", "The Wire",
         "Sherlock", "Severance", "Twin Peaks", "Frasier", "Columbo", "Doctor Who", "The Expanse"]
SINGERS = ["Adele", "Beyonce", "Bowie", "Prince", "Madonna", "Rihanna", "Shakira", "Sinatra", "Amy Winehouse",
           "Elvis", "Stromae", "Rosalia", "Billie Eilish", "Dolly Parton", "Nina Simone", "Taylor Swift"]
AUTHORS = ["Tolstoy", "Austen", "Orwell", "Borges", "Murakami", "Saramago", "Le Guin", "Pratchett", "Kafka",
           "Atwood", "Calvino", "Dickens", "Woolf", "Asimov", "Tolkien", "Morrison"]
PAINTERS = ["Monet", "Van Gogh", "Picasso", "Vermeer", "Rembrandt", "Frida Kahlo", "Hokusai", "Klimt", "Matisse",
            "Turner", "Magritte", "Dali", "Goya", "Caravaggio"]
CAR_BRANDS = ["Toyota", "Volvo", "Tesla", "Fiat", "Volkswagen", "Honda", "BMW", "Skoda", "Renault", "Kia", "Mazda",
              "Subaru", "Peugeot", "Audi", "Ford", "Hyundai"]
ICE_CREAM = ["vanilla", "chocolate", "pistachio", "strawberry", "mint chocolate chip", "salted caramel", "lemon",
             "hazelnut", "coconut", "cookies and cream", "mango", "coffee"]
RESTAURANTS = ["Casa Pepe", "The Golden Fork", "Sakura House", "Luigi's", "Taqueria Sol", "Le Petit Bistro",
               "Dragon Palace", "The Green Table", "Blue Lagoon", "Noodle Bar", "Cafe Central", "Bombay Spice"]
PODCASTS = ["Radiolab", "Serial", "Hardcore History", "99% Invisible", "The Daily", "Reply All", "Planet Money",
            "Darknet Diaries", "Freakonomics", "Stuff You Should Know", "Lex Fridman", "Hidden Brain"]
CARS = ["a red Toyota Corolla", "a blue Volvo V60", "a Tesla Model 3", "an old Fiat Panda", "a VW Golf", "a Honda Civic",
        "a grey Skoda Octavia", "a white Renault Clio", "a black BMW X3", "a green Mini Cooper", "a Kia Niro",
        "a silver Mazda 3", "a Subaru Outback", "a yellow Peugeot 208", "an Audi A4", "a Ford Focus", "a Nissan Leaf"]
ALLERGENS = ["peanuts", "shellfish", "penicillin", "pollen", "gluten", "lactose", "bee stings", "dust mites", "eggs",
             "sesame", "latex", "strawberries", "soy", "tree nuts", "mold", "aspirin", "kiwi fruit", "cat hair"]
LANGUAGES = ["Portuguese", "Spanish", "French", "German", "Italian", "Japanese", "Korean", "Mandarin", "Arabic",
             "Hindi", "Russian", "Polish", "Dutch", "Swedish", "Greek", "Turkish", "Swahili", "Finnish", "Czech"]
SUBJECTS = ["physics", "history", "law", "medicine", "economics", "biology", "computer science", "philosophy",
            "chemistry", "architecture", "linguistics", "mathematics", "psychology", "music", "geology",
            "graphic design", "nursing", "astronomy", "sociology", "marine biology"]
HOBBIES = ["painting", "hiking", "knitting", "gardening", "playing the guitar", "rock climbing", "baking bread",
           "birdwatching", "photography", "chess", "pottery", "running", "woodworking", "sailing", "writing poetry",
           "playing the piano", "fishing", "cooking", "yoga", "juggling", "origami", "stargazing"]
MEDS = ["ibuprofen", "vitamin D", "metformin", "omega 3", "an antihistamine", "iron supplements", "levothyroxine",
        "aspirin", "insulin", "a multivitamin", "magnesium", "melatonin", "folic acid", "antibiotics"]
PET_FOOD = ["dry food", "carrots", "salmon", "seeds", "crickets", "hay", "chicken", "wet food", "lettuce", "mice",
            "pellets", "apples", "tuna", "bananas", "mealworms"]
OSES = ["Debian", "Ubuntu", "Fedora", "Arch Linux", "Windows 11", "macOS", "FreeBSD", "NixOS", "ChromeOS",
        "Linux Mint", "Windows 10", "Pop OS", "openSUSE", "Android", "iOS", "Raspberry Pi OS", "Alpine Linux", "AIOS"]
SHELLS = ["zsh", "bash", "fish", "nushell", "PowerShell", "tcsh", "dash", "xonsh", "elvish", "ksh"]
BROWSERS = ["Firefox", "Chrome", "Safari", "Brave", "Edge", "Vivaldi", "Opera", "Chromium", "LibreWolf", "Arc"]
GPUS = ["an RTX 3060", "an RTX 4090", "a Radeon RX 6700", "an Intel Arc A770", "a GTX 1080", "an RTX 2070",
        "a Radeon RX 7900", "a GTX 970", "an RTX 4070", "an Apple M2", "a Radeon 780M", "an RTX 3080"]
DATABASES = ["Postgres", "MySQL", "SQLite", "MongoDB", "Redis", "DuckDB", "Cassandra", "MariaDB", "CouchDB",
             "DynamoDB", "ClickHouse", "Neo4j", "IndexedDB", "Firestore", "CockroachDB"]
CODENAMES = ["Apollo", "Hermes", "Falcon", "Orion", "Nimbus", "Atlas", "Phoenix", "Zephyr", "Quasar", "Titan",
             "Mercury", "Vega", "Polaris", "Nova", "Kepler", "Aurora", "Comet", "Sparrow", "Neptune", "Cobalt", "Onyx",
             "Borealis", "Lynx", "Mosaic", "Tundra", "Beacon", "Cascade", "Ember", "Glacier", "Harbor", "Meridian",
             "Sequoia", "Tempest", "Voyager", "Halcyon", "Pegasus"]
TEAMS_GIT = ["platform", "infra", "web", "data", "mobile", "core", "research", "tools", "ops", "ml"]
WORDS_PW = ("sunflower tiger maple river orange castle pixel rocket velvet harbor pepper falcon cactus lemon "
            "meadow thunder violet cobalt marble quartz").split()
STREETS = ["Oak", "Maple", "Pine", "Elm", "Cedar", "Church", "Station", "Mill", "Park", "High", "King", "Queen",
           "Rua Augusta", "Baker", "Garden", "River", "Hill", "Lake", "Sunset", "Market"]
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December"]


def ordinal(n):
    return f"{n}{'th' if 11 <= n % 100 <= 13 else {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th')}"


def g_time(r):
    hh = r.randint(7, 20)
    k = r.random()
    if k < 0.35:
        return f"{hh}:{r.choice([0, 15, 30, 45]):02d}"
    if k < 0.7:
        return f"{(hh - 1) % 12 + 1}{r.choice(['pm', ' pm', 'am', ' am']) if hh >= 12 else r.choice(['am', ' am'])}"
    if k < 0.8:
        return "noon"
    return f"{(hh - 1) % 12 + 1}:{r.choice([15, 30, 45]):02d} {'pm' if hh >= 12 else 'am'}"


def g_date(r):
    m, d = r.choice(MONTHS), r.randint(1, 28)
    k = r.random()
    if k < 0.4:
        return f"{m} {d}"
    if k < 0.6:
        return f"{d} {m}"
    if k < 0.8:
        return f"the {ordinal(d)} of {m}"
    return f"2026-{MONTHS.index(m) + 1:02d}-{d:02d}"


def g_when(r):
    k = r.random()
    if k < 0.35:
        return f"{r.choice(WEEKDAYS)} at {g_time(r)}"
    if k < 0.55:
        return f"next {r.choice(WEEKDAYS)} at {g_time(r)}"
    if k < 0.85:
        return f"{g_date(r)} at {g_time(r)}"
    return g_date(r)


def g_deadline(r):
    k = r.random()
    if k < 0.6:
        return g_date(r)
    if k < 0.8:
        return r.choice(["Friday", "Monday", "the end of the month", "next week", "tomorrow", "the weekend"])
    return f"{r.choice(WEEKDAYS)} {r.choice(['morning', 'evening', 'noon'])}"


def g_phone(r):
    k = r.random()
    d = lambda n: "".join(str(r.randint(0, 9)) for _ in range(n))  # noqa: E731
    if k < 0.3:
        return f"+351 9{d(2)} {d(3)} {d(3)}"
    if k < 0.6:
        return f"555-{d(3)}-{d(4)}"
    if k < 0.8:
        return f"0{d(3)} {d(6)}"
    return f"+44 7{d(3)} {d(6)}"


def g_email(r):
    n = r.choice(PERSON_NAMES).lower()
    return f"{n}{r.choice(['.', '_', ''])}{r.choice(SURNAMES).lower()}@{r.choice(['example.com', 'mail.com', 'proton.me', 'work.org', 'uni.edu'])}"


def g_address(r):
    return f"{r.randint(1, 250)} {r.choice(STREETS)} {r.choice(['Street', 'Road', 'Avenue', 'Lane', 'Way'])}"


def g_plate(r):
    L = lambda n: "".join(chr(65 + r.randint(0, 25)) for _ in range(n))  # noqa: E731
    return r.choice([f"{L(2)}-{r.randint(10, 99)}-{L(2)}", f"{L(3)} {r.randint(100, 999)}", f"{r.randint(10, 99)}-{L(2)}-{r.randint(10, 99)}"])


def g_password(r):
    return r.choice([f"{r.choice(WORDS_PW)}{r.randint(1, 99)}", f"{r.choice(WORDS_PW)}-{r.choice(WORDS_PW)}-{r.randint(1, 9)}",
                     f"{r.choice(WORDS_PW).capitalize()}{r.randint(100, 9999)}!"])


def g_ip(r):
    return r.choice([f"192.168.{r.randint(0, 9)}.{r.randint(2, 254)}", f"10.0.{r.randint(0, 20)}.{r.randint(2, 254)}",
                     f"172.16.{r.randint(0, 31)}.{r.randint(2, 254)}"])


def g_keypath(r):
    return r.choice([f"~/.ssh/{r.choice(['id_ed25519', 'id_rsa', 'work_key', 'github', 'deploy_key'])}",
                     f"/home/{r.choice(PERSON_NAMES).lower()}/keys/{r.choice(['main', 'server', 'laptop'])}.pem",
                     f"~/Documents/{r.choice(['keys', 'secrets', 'backup'])}/id_{r.choice(['ed25519', 'rsa'])}"])


def g_height(r):
    return r.choice([f"1.{r.randint(50, 99)} m", f"{r.randint(150, 199)} cm", f"5 foot {r.randint(1, 11)}", f"6 foot {r.randint(0, 4)}"])


def gen(fn):
    return fn


def pick(pool):
    return lambda r: r.choice(pool)


def num(lo, hi):
    return lambda r: str(r.randint(lo, hi))


def team_repo(r, subj):
    return f"{r.choice(['git.example.com', 'github.com', 'gitlab.com'])}/{r.choice(TEAMS_GIT)}/{subj.lower()}"


# =====================================================================================
# relations: (subjects with aliases) x fact templates x query templates x values
# Templates: {s} subject alias, {x} value, {a} "a"/"an" for the alias, {t}/{n} task phrases.
# The last query template and the last fact template of each relation are held out
# (evaluation only), as is every 4th one when there are 8 or more.
# =====================================================================================
PEOPLE = [("mother", ["mother", "mom", "mum"]), ("father", ["father", "dad"]), ("sister", ["sister"]),
          ("brother", ["brother"]), ("wife", ["wife"]), ("husband", ["husband"]), ("partner", ["partner"]),
          ("boss", ["boss", "manager"]), ("best friend", ["best friend"]), ("neighbour", ["neighbour", "neighbor"]),
          ("son", ["son"]), ("daughter", ["daughter"]), ("aunt", ["aunt"]), ("uncle", ["uncle"]),
          ("grandmother", ["grandmother", "grandma"]), ("grandfather", ["grandfather", "grandpa"]),
          ("cousin", ["cousin"]), ("doctor", ["doctor", "GP"]), ("dentist", ["dentist"]), ("landlord", ["landlord"]),
          ("roommate", ["roommate", "flatmate"]), ("coworker", ["coworker", "colleague"]), ("teacher", ["teacher"]),
          ("therapist", ["therapist"]), ("nephew", ["nephew"]), ("niece", ["niece"]), ("lawyer", ["lawyer"]),
          ("accountant", ["accountant"])]
PETS = [("dog", ["dog"]), ("cat", ["cat"]), ("parrot", ["parrot"]), ("hamster", ["hamster"]),
        ("rabbit", ["rabbit", "bunny"]), ("goldfish", ["goldfish"]), ("turtle", ["turtle", "tortoise"]),
        ("horse", ["horse", "pony"]), ("snake", ["snake"]), ("guinea pig", ["guinea pig"]),
        ("lizard", ["lizard", "gecko"]), ("ferret", ["ferret"]), ("canary", ["canary"]), ("puppy", ["puppy"]),
        ("kitten", ["kitten"]), ("pig", ["pig"])]
FAVS = [("colour", ["colour", "color"], COLORS), ("food", ["food", "dish", "meal"], FOODS), ("movie", ["movie", "film"], MOVIES),
        ("book", ["book", "novel"], BOOKS), ("song", ["song"], SONGS), ("band", ["band"], BANDS), ("sport", ["sport"], SPORTS),
        ("team", ["football team", "team"], TEAMS), ("drink", ["drink"], DRINKS), ("season", ["season"], SEASONS),
        ("animal", ["animal"], ANIMALS), ("fruit", ["fruit"], FRUITS), ("game", ["game", "board game"], GAMES),
        ("programming language", ["programming language", "coding language"], PLANGS),
        ("city", ["city"], CITIES), ("dessert", ["dessert"], DESSERTS), ("flower", ["flower"], FLOWERS),
        ("tv show", ["TV show", "series"], SHOWS), ("singer", ["singer", "artist"], SINGERS),
        ("number", ["number"], [str(i) for i in range(1, 100)]), ("author", ["author", "writer"], AUTHORS),
        ("painter", ["painter"], PAINTERS), ("car brand", ["car brand"], CAR_BRANDS),
        ("ice cream", ["ice cream flavour", "ice cream flavor"], ICE_CREAM), ("restaurant", ["restaurant"], RESTAURANTS),
        ("podcast", ["podcast"], PODCASTS), ("holiday destination", ["holiday destination", "vacation spot"], CITIES)]
EVENTS = [("dentist appointment", ["dentist appointment", "appointment with the dentist"]),
          ("doctor appointment", ["doctor's appointment", "appointment with the doctor", "GP appointment"]),
          ("haircut", ["haircut", "hair appointment"]), ("job interview", ["job interview", "interview"]),
          ("flight", ["flight", "plane"]), ("team meeting", ["team meeting", "team sync"]), ("yoga class", ["yoga class"]),
          ("car service", ["car service", "car inspection"]), ("vet appointment", ["vet appointment", "appointment at the vet"]),
          ("piano lesson", ["piano lesson"]), ("book club", ["book club"]), ("parent-teacher meeting", ["parent-teacher meeting"]),
          ("physiotherapy", ["physiotherapy session", "physio"]), ("dinner reservation", ["dinner reservation", "restaurant booking"]),
          ("concert", ["concert", "gig"]), ("train", ["train", "train ride"]), ("eye exam", ["eye exam", "eye test"]),
          ("passport appointment", ["passport appointment"]), ("performance review", ["performance review"]),
          ("swimming lesson", ["swimming lesson"]), ("therapy session", ["therapy session"]),
          ("wedding", ["wedding", "wedding ceremony"]), ("exam", ["exam", "final exam"]), ("massage", ["massage"]),
          ("blood test", ["blood test"]), ("football match", ["football match", "football game"])]
TASKS = [("renew my passport", "passport renewal"), ("pay the electricity bill", "electricity bill"),
         ("submit the expense report", "expense report"), ("call the plumber", "plumber call"),
         ("return the library books", "library books"), ("file my taxes", "tax return"),
         ("send the invoice to the client", "client invoice"), ("book the hotel", "hotel booking"),
         ("renew the car insurance", "car insurance"), ("cancel the gym membership", "gym membership"),
         ("update the server certificates", "server certificates"), ("back up the laptop", "laptop backup"),
         ("reply to the landlord", "landlord email"), ("order new glasses", "new glasses"),
         ("fix the leaking tap", "leaking tap"), ("clean the gutters", "gutters"),
         ("register for the marathon", "marathon registration"), ("pick up the dry cleaning", "dry cleaning"),
         ("finish the slide deck", "slide deck"), ("pay the rent", "rent"), ("vaccinate the dog", "dog vaccination"),
         ("buy a gift for the wedding", "wedding gift"), ("apply for the visa", "visa application"),
         ("review the pull request", "pull request review"), ("migrate the database", "database migration"),
         ("write the quarterly report", "quarterly report"), ("renew the domain name", "domain renewal"),
         ("service the boiler", "boiler service")]
SERVERS = [("staging server", ["staging server", "staging box"]), ("production server", ["production server", "prod server"]),
           ("dev server", ["dev server", "development server"]), ("database server", ["database server", "db server"]),
           ("web server", ["web server"]), ("mail server", ["mail server"]), ("build server", ["build server", "CI server"]),
           ("game server", ["game server"]), ("model server", ["model server", "inference server"])]
NET_DEVICES = [("printer", ["printer"]), ("nas", ["NAS", "file server"]), ("router", ["router"]),
               ("smart tv", ["smart TV", "TV"]), ("camera", ["security camera"]), ("home server", ["home server"]),
               ("thermostat", ["thermostat"]), ("raspberry pi", ["raspberry pi", "pi"])]
DEVICES = [("laptop", ["laptop"]), ("desktop", ["desktop", "desktop PC"]), ("work computer", ["work computer", "work laptop"]),
           ("phone", ["phone"]), ("tablet", ["tablet"]), ("old laptop", ["old laptop"]), ("mini pc", ["mini PC"]),
           ("gaming pc", ["gaming PC"])]
SELF = [("me", ["me"])]


class Rel:
    def __init__(self, name, subjects, facts, queries, value, entity_query=False, split_subjects=False):
        self.name = name
        self.subjects = subjects
        self.value = value  # r -> str, or (r, subject_key) -> str when it takes the subject
        self.entity_query = entity_query
        self.split_subjects = split_subjects
        self.facts = {"train": [], "eval": []}
        self.queries = {"train": [], "eval": []}
        for lst, key in ((facts, "facts"), (queries, "queries")):
            d = getattr(self, key)
            for i, t in enumerate(lst):
                held = i == len(lst) - 1 or (len(lst) >= 8 and i % 4 == 1)
                d["eval" if held else "train"].append(t)
            assert len(d["train"]) >= 2, (name, key)


REL = []


def rel(*a, **k):
    REL.append(Rel(*a, **k))


# ---- pets ------------------------------------------------------------------------
rel("pet_name", PETS,
    ["my {s}'s name is {x}.", "my {s} is called {x}.", "I have {a} {s} named {x}.", "{x} is my {s}.",
     "our {s} is named {x}.", "I named my {s} {x}.", "we got {a} {s} and called it {x}.", "the name of my {s} is {x}."],
    ["what is my {s} called?", "what's my {s}'s name?", "what is the name of my {s}?", "what did I name my {s}?",
     "do you remember my {s}'s name?", "what do we call our {s}?", "my {s}'s name?", "how is my {s} called?",
     "what name did we give our {s}?", "remind me what my {s} is called"],
    pick(PET_NAMES), entity_query=True)
rel("pet_age", PETS,
    ["my {s} is {x} years old.", "my {s} turned {x} this year.", "my {s}'s age is {x}.", "our {s} just had birthday number {x}.",
     "our {s} is {x} years old now."],
    ["how old is my {s}?", "what is my {s}'s age?", "what age is my {s}?", "how many years old is my {s}?", "when was my {s} born, how old?",
     "is my {s} old? how many years?"],
    num(1, 19))
rel("pet_food", PETS,
    ["my {s} only eats {x}.", "my {s}'s favourite food is {x}.", "I feed my {s} {x}.", "we give our {s} {x} every day.",
     "I give my {s} {x} to eat."],
    ["what does my {s} eat?", "what is my {s}'s diet?", "what do I feed my {s}?", "what should I give my {s} to eat?",
     "what food does my {s} like?"],
    pick(PET_FOOD))
# ---- people ----------------------------------------------------------------------
rel("person_name", PEOPLE,
    ["my {s}'s name is {x}.", "my {s} is called {x}.", "{x} is my {s}.", "my {s} is {x}.", "the name of my {s} is {x}.",
     "{x} is the name of my {s}."],
    ["what is my {s}'s name?", "who is my {s}?", "what's my {s} called?", "what is the name of my {s}?",
     "remind me of my {s}'s name", "how is my {s} called?", "do you know my {s}'s name?", "what's the name of my {s} again?"],
    pick(PERSON_NAMES), entity_query=True)
rel("person_birthday", PEOPLE,
    ["my {s}'s birthday is on {x}.", "my {s} was born on {x}.", "{x} is my {s}'s birthday.",
     "my {s} celebrates their birthday on {x}.", "don't forget my {s}'s birthday: {x}."],
    ["when is my {s}'s birthday?", "what day is my {s}'s birthday?", "when was my {s} born?",
     "when do I need to wish my {s} happy birthday?", "what's the date of my {s}'s birthday?"],
    gen(g_date))
rel("person_city", PEOPLE,
    ["my {s} lives in {x}.", "my {s} moved to {x}.", "my {s} is based in {x}.", "{x} is where my {s} lives.",
     "my {s}'s home is in {x}."],
    ["where does my {s} live?", "what city does my {s} live in?", "where is my {s} based?", "which city is my {s} in?",
     "where did my {s} move to?"],
    pick(CITIES), entity_query=True)
rel("person_job", PEOPLE,
    ["my {s} works as {x}.", "my {s} is {x}.", "my {s}'s job: {x}.", "my {s} earns a living as {x}.",
     "by profession my {s} is {x}."],
    ["what does my {s} do for a living?", "what is my {s}'s job?", "what does my {s} work as?",
     "what is my {s}'s occupation?", "what's my {s}'s profession?"],
    pick(JOBS))
rel("person_phone", PEOPLE,
    ["my {s}'s phone number is {x}.", "my {s}'s number is {x}.", "you can reach my {s} at {x}.", "call my {s} on {x}.",
     "my {s}'s mobile is {x}."],
    ["what is my {s}'s phone number?", "how do I call my {s}?", "what's my {s}'s number?", "how can I reach my {s}?",
     "what's my {s}'s mobile number?"],
    gen(g_phone))
rel("person_email", PEOPLE,
    ["my {s}'s email is {x}.", "my {s}'s email address is {x}.", "you can email my {s} at {x}.", "write to my {s} at {x}."],
    ["what is my {s}'s email?", "what's my {s}'s email address?", "how do I email my {s}?", "where can I send my {s} an email?"],
    gen(g_email))
# ---- me ------------------------------------------------------------------------
rel("my_name", SELF,
    ["my name is {x}.", "I'm {x}, that's my name.", "I am called {x}.", "call me {x}.", "people call me {x}.",
     "you can call me {x}."],
    ["what is my name?", "what am I called?", "who am I?", "what's my name?", "do you know my name?",
     "how should you call me?", "what should you call me?"],
    pick(PERSON_NAMES), entity_query=True)
rel("my_city", SELF,
    ["I live in {x}.", "my home is in {x}.", "I'm based in {x}.", "I moved to {x} and live there now.",
     "home for me is {x}.", "now I live in {x}."],
    ["where do I live?", "what city do I live in?", "where is my home?", "where am I based?",
     "which city is home for me?", "in which city do I live?", "where do I live now?"],
    pick(CITIES), entity_query=True)
rel("my_birthplace", SELF,
    ["I was born in {x}.", "my hometown is {x}.", "I grew up in {x}.", "I come from {x}.", "I'm originally from {x}."],
    ["where was I born?", "what is my hometown?", "where did I grow up?", "where do I come from?",
     "which city am I originally from?", "where am I from originally?"],
    pick(CITIES), entity_query=True)
rel("my_employer", SELF,
    ["I work at {x}.", "my employer is {x}.", "I'm employed by {x}.", "I have a job at {x}.", "my company is {x}."],
    ["where do I work?", "which company do I work for?", "who is my employer?", "who do I work for?",
     "what company do I work at?"],
    pick(COMPANIES), entity_query=True)
rel("my_job", SELF,
    ["I work as {x}.", "I'm {x} by profession.", "by trade I am {x}.", "for a living I work as {x}.", "my job: I'm {x}."],
    ["what do I do for a living?", "what is my job?", "what's my profession?", "what do I work as?",
     "what is my occupation?"],
    pick(JOBS))
rel("my_age", SELF,
    ["I am {x} years old.", "I turned {x} this year.", "my age is {x}.", "I'm {x} years old now.", "I just turned {x}."],
    ["how old am I?", "what is my age?", "what age am I?", "how many years old am I?", "what's my age now?"],
    num(18, 90))
rel("my_birthday", SELF,
    ["my birthday is on {x}.", "I was born on {x}.", "{x} is my birthday.", "I celebrate my birthday on {x}.",
     "my date of birth is {x}."],
    ["when is my birthday?", "when was I born?", "what's my date of birth?", "what day is my birthday?",
     "when do I celebrate my birthday?"],
    gen(g_date))
rel("my_phone", SELF,
    ["my phone number is {x}.", "my number is {x}.", "you can call me on {x}.", "my mobile number is {x}."],
    ["what is my phone number?", "what's my number?", "what's my mobile number?", "which number can people call me on?"],
    gen(g_phone))
rel("my_email", SELF,
    ["my email is {x}.", "my email address is {x}.", "you can email me at {x}.", "write to me at {x}."],
    ["what is my email address?", "what's my email?", "how can people email me?", "which address do I use for email?"],
    gen(g_email))
rel("my_address", SELF,
    ["my address is {x}.", "my street address is {x}.", "my postal address is {x}.", "send my mail to {x}."],
    ["what is my address?", "what's my street address?", "where should my mail be sent?", "what is my postal address?"],
    gen(g_address))
rel("my_allergy", SELF,
    ["I am allergic to {x}.", "I have an allergy to {x}.", "{x} give me an allergic reaction.",
     "I can't have {x} because of my allergy.", "my allergy is to {x}."],
    ["what am I allergic to?", "do I have any allergies?", "what is my allergy?", "what gives me an allergic reaction?",
     "which allergy do I have?"],
    pick(ALLERGENS))
rel("my_language", SELF,
    ["I speak {x}.", "my native language is {x}.", "I'm fluent in {x}.", "{x} is my first language.",
     "my mother tongue is {x}."],
    ["what language do I speak?", "what is my native language?", "which language am I fluent in?",
     "what's my mother tongue?", "what is my first language?"],
    pick(LANGUAGES))
rel("my_studies", SELF,
    ["I studied {x} at university.", "my degree is in {x}.", "I majored in {x}.", "at college I studied {x}.",
     "I have a degree in {x}."],
    ["what did I study?", "what is my degree in?", "what was my major?", "which subject did I study at university?",
     "what did I major in at college?"],
    pick(SUBJECTS))
rel("my_car", SELF,
    ["I drive {x}.", "my car is {x}.", "I bought {x} last year.", "I get around in {x}.", "my vehicle is {x}."],
    ["what car do I drive?", "what kind of car do I have?", "what is my car?", "which vehicle do I own?",
     "what do I drive?"],
    pick(CARS))
rel("my_plate", SELF,
    ["my license plate is {x}.", "my car's plate number is {x}.", "the registration of my car is {x}.",
     "my number plate reads {x}.", "the plate number of my car is {x}."],
    ["what is my license plate?", "what's my car's registration?", "what is my plate number?",
     "what does my number plate say?", "what's the license plate of my car?"],
    gen(g_plate))
rel("my_height", SELF,
    ["I am {x} tall.", "my height is {x}.", "I measure {x}.", "I stand {x} tall."],
    ["how tall am I?", "what is my height?", "what's my height?", "how tall did I say I am?"],
    gen(g_height))
rel("my_shoe_size", SELF,
    ["my shoe size is {x}.", "I wear size {x} shoes.", "I take a {x} in shoes.", "my shoes are size {x}."],
    ["what is my shoe size?", "what size shoes do I wear?", "which shoe size do I take?", "what size are my shoes?"],
    num(34, 48))
rel("my_blood_type", SELF,
    ["my blood type is {x}.", "I have blood type {x}.", "my blood group is {x}.", "my blood is type {x}."],
    ["what is my blood type?", "what's my blood group?", "which blood type do I have?", "do you know my blood type?"],
    pick(["A positive", "A negative", "B positive", "B negative", "O positive", "O negative", "AB positive", "AB negative"]))
rel("my_bus", SELF,
    ["I take bus {x} to work.", "I commute on bus line {x}.", "my bus to work is number {x}.", "the {x} bus gets me to the office.",
     "the bus I take to the office is {x}."],
    ["which bus do I take to work?", "which bus line do I commute on?", "what's my bus number?", "what bus goes to my office?",
     "what bus do I take to the office?"],
    num(1, 799))
rel("my_parking", SELF,
    ["I parked in spot {x}.", "my car is in parking space {x}.", "I left the car in bay {x}.", "the car is parked at spot {x}."],
    ["where did I park?", "where is my car parked?", "where did I leave the car?", "which parking spot did I use?",
     "which spot is my car parked in?"],
    lambda r: r.choice([str(r.randint(1, 300)), f"{chr(65 + r.randint(0, 5))}{r.randint(1, 60)}", f"{r.randint(1, 60)} on level {r.randint(-3, 4)}"]))
rel("my_apartment", SELF,
    ["my apartment number is {x}.", "my flat is number {x}.", "I'm in apartment {x}.", "my unit number is {x}."],
    ["what is my apartment number?", "which flat is mine?", "what's my unit number?", "what number is my apartment?"],
    lambda r: r.choice([str(r.randint(1, 90)), f"{r.randint(1, 12)}{chr(65 + r.randint(0, 5))}"]))
rel("my_locker", SELF,
    ["my locker number is {x}.", "I use locker {x}.", "my locker at the gym is {x}.", "my locker is number {x}."],
    ["what is my locker number?", "which locker is mine?", "what locker do I use?", "where is my locker?"],
    num(1, 400))
rel("my_dislike", SELF,
    ["I hate {x}.", "I can't stand {x}.", "I really don't like {x}.", "{x} is the food I dislike most.",
     "I really dislike {x}."],
    ["what food do I hate?", "what don't I like to eat?", "which food do I dislike?", "what food can't I stand?",
     "is there a food I really dislike?"],
    pick(FOODS))
rel("my_hobby", SELF,
    ["my hobby is {x}.", "in my free time I enjoy {x}.", "I relax by {x}.", "my favourite pastime is {x}.",
     "to relax I enjoy {x}."],
    ["what is my hobby?", "how do I relax?", "what do I do in my free time?", "what are my hobbies?",
     "what do I enjoy in my free time?"],
    pick(HOBBIES))
rel("my_meds", SELF,
    ["I take {x} every morning.", "my medication is {x}.", "the doctor prescribed me {x}.", "I need to take {x} daily.",
     "I need {x} every day."],
    ["what medication do I take?", "what pills do I take?", "what did the doctor prescribe me?",
     "which medicine do I need every day?", "what is my medication?"],
    pick(MEDS))
rel("wifi", SELF,
    ["the wifi password is {x}.", "our wifi password is {x}.", "to join the wifi use the password {x}.",
     "the password for the wireless network is {x}.", "wifi: network Home, password {x}."],
    ["what's the wifi password?", "how do I connect to the wifi?", "what is the password for the wifi?",
     "what is the wireless password?", "what's the password of our wifi?"],
    gen(g_password))
rel("door_code", SELF,
    ["the door code is {x}.", "the code for the front door is {x}.", "to get in, type {x} on the keypad.",
     "the gate code is {x}.", "the code for the building is {x}."],
    ["what is the door code?", "how do I get into the building?", "what's the code for the front door?",
     "what is the keypad code?", "what's the gate code?"],
    lambda r: "".join(str(r.randint(0, 9)) for _ in range(r.choice([4, 4, 5, 6]))))
# ---- favourites ---------------------------------------------------------------
FAV_FACTS = ["my favourite {s} is {x}.", "my favorite {s} is {x}.", "{x} is my favourite {s}.",
             "I love {x}, it's my favourite {s}.", "the {s} I like best is {x}.", "of every {s}, I like {x} best.",
             "if I had to pick one {s}, it would be {x}.", "the {s} I love the most is {x}."]
FAV_QUERIES = ["what is my favourite {s}?", "what's my favorite {s}?", "which {s} do I like best?",
               "what {s} do I love the most?", "do you know my favourite {s}?", "what {s} do I like the most?",
               "which {s} do I prefer?", "what's my favourite {s} again?", "tell me my favorite {s}",
               "which {s} is my favourite?"]
rel("favourite", [(k, al) for k, al, _ in FAVS], FAV_FACTS, FAV_QUERIES,
    {k: pick(pool) for k, _, pool in FAVS}, entity_query=True)
# ---- appointments and tasks ---------------------------------------------------------
rel("event", EVENTS,
    ["my {s} is on {x}.", "I have {a} {s} on {x}.", "{s} scheduled for {x}.", "don't forget: {s} on {x}.",
     "I booked {a} {s} for {x}.", "{s} is on {x}, don't forget.", "calendar: {s}, {x}.", "reminder: {s} {x}.",
     "the {s} was moved to {x}.", "I need to be at my {s} on {x}."],
    ["when is my {s}?", "what time is my {s}?", "when do I have my {s}?", "what day is my {s}?",
     "when is the {s} scheduled?", "what day do I have the {s}?", "is my {s} coming up soon?", "at what time is the {s}?",
     "when did I book the {s}?"],
    gen(g_when))
rel("task", [(t, [t]) for t, _ in TASKS],
    ["I need to {t} by {x}.", "I have to {t} by {x}.", "TODO: {t} before {x}.", "remember to {t} by {x}.",
     "I must {t} no later than {x}.", "reminder: {t} by {x}.", "deadline to {t}: {x}.", "the {n} is due {x}."],
    ["when do I need to {t}?", "what's the deadline for the {n}?", "when is the {n} due?", "by when should I {t}?",
     "when must I {t}?", "when do I have to {t}?", "did I have a deadline for the {n}?", "how long do I have to {t}?",
     "by when is the {n} due?"],
    gen(g_deadline))
# ---- projects (project names are split into train / held-out too) ---------------------------
PROJECTS = [(c, [c]) for c in CODENAMES]
rel("project_deadline", PROJECTS,
    ["the {s} project is due on {x}.", "deadline for {s}: {x}.", "project {s} launches on {x}.",
     "we need to finish project {s} by {x}.", "{s} has to ship by {x}."],
    ["when is the {s} deadline?", "when is project {s} due?", "what's the due date for {s}?", "when does {s} ship?",
     "when must project {s} ship?"],
    gen(g_deadline), split_subjects=True)
rel("project_db", PROJECTS,
    ["project {s} stores its data in {x}.", "the {s} backend uses {x}.", "{s} runs on a {x} database.",
     "we picked {x} as the database for {s}.", "the database of {s} is {x}."],
    ["what database does {s} use?", "which database is project {s} on?", "where does {s} keep its data?",
     "what's the {s} database?", "which database do we use for {s}?"],
    pick(DATABASES), split_subjects=True)
rel("project_lead", PROJECTS,
    ["{x} leads the {s} project.", "the lead on project {s} is {x}.", "{x} is in charge of {s}.",
     "project {s} is run by {x}.", "{x} runs project {s}."],
    ["who leads {s}?", "who is the lead on project {s}?", "who runs the {s} project?", "who is in charge of {s}?",
     "who is the lead of {s}?"],
    pick(PERSON_NAMES), split_subjects=True)
rel("project_lang", PROJECTS,
    ["{s} is written in {x}.", "the {s} codebase is in {x}.", "we build project {s} with {x}.",
     "project {s} uses {x} as its main language.", "we write {s} in {x}."],
    ["what language is {s} written in?", "which programming language does project {s} use?",
     "what is the {s} codebase written in?", "what do we code {s} in?", "what's the main language of {s}?"],
    pick(PLANGS), split_subjects=True)
rel("project_repo", PROJECTS,
    ["the {s} repo is at {x}.", "code for project {s} lives at {x}.", "{s} source: {x}.", "clone {s} from {x}.",
     "the {s} repository is {x}."],
    ["where is the {s} repository?", "where is the code for project {s}?", "what's the {s} repo url?",
     "where can I clone {s} from?", "what is the git url of {s}?"],
    team_repo, split_subjects=True)
rel("project_sync", PROJECTS,
    ["the {s} sync is every {x}.", "we meet about project {s} every {x}.", "{s} standup happens each {x}.",
     "the weekly {s} meeting is on {x}.", "every {x} we have the {s} meeting."],
    ["when is the {s} sync?", "when do we meet about project {s}?", "what day is the {s} meeting?",
     "when is the {s} standup?", "what day do we meet about {s}?"],
    lambda r: f"{r.choice(WEEKDAYS)} at {g_time(r)}", split_subjects=True)
# ---- computing --------------------------------------------------------------------------
rel("device_os", DEVICES,
    ["my {s} runs {x}.", "I installed {x} on my {s}.", "the operating system on my {s} is {x}.", "my {s} is on {x}.",
     "I use {x} on my {s}."],
    ["what OS is on my {s}?", "what operating system does my {s} run?", "which OS did I install on my {s}?",
     "what does my {s} run?", "what operating system is on my {s}?"],
    pick(OSES))
rel("server_port", SERVERS,
    ["the {s} runs on port {x}.", "the {s} listens on port {x}.", "port {x} is used by the {s}.",
     "connect to the {s} on port {x}.", "the {s}'s port is {x}."],
    ["what port is the {s} on?", "which port does the {s} listen on?", "how do I connect to the {s}?",
     "what is the {s} port?", "what port does the {s} use?"],
    lambda r: str(r.choice([80, 443, 3000, 5000, 5173, 5432, 6379, 8000, 8080, 8443, 8888, 9000, 9090, 27017, 3306])
                  if r.random() < 0.5 else r.randint(1024, 65000)))
rel("device_ip", NET_DEVICES + [(k, al) for k, al in SERVERS[:4]],
    ["the {s}'s IP address is {x}.", "the {s} is at {x}.", "the {s} has the address {x}.", "you can reach the {s} at {x}.",
     "IP of the {s}: {x}."],
    ["what is the {s}'s IP?", "what's the IP address of the {s}?", "where is the {s} on the network?",
     "how do I reach the {s}?", "which IP does the {s} have?"],
    gen(g_ip))
rel("my_shell", SELF,
    ["my default shell is {x}.", "I use {x} as my shell.", "my terminal runs {x}.", "my shell is {x}."],
    ["which shell do I use?", "what is my default shell?", "what shell does my terminal run?", "what's my shell?"],
    pick(SHELLS))
rel("my_browser", SELF,
    ["my browser is {x}.", "I browse the web with {x}.", "I use {x} for browsing.", "my default browser is {x}."],
    ["which browser do I use?", "what is my default browser?", "what do I browse the web with?", "what's my web browser?"],
    pick(BROWSERS))
rel("my_gpu", SELF,
    ["my GPU is {x}.", "my graphics card is {x}.", "my computer has {x} graphics card.", "I have {x} in my desktop."],
    ["what graphics card do I have?", "what is my GPU?", "which GPU is in my computer?", "which graphics card is in my computer?"],
    pick(GPUS))
rel("my_editor", SELF,
    ["I use {x} as my editor.", "my code editor is {x}.", "I edit files with {x}.", "I write code in {x}."],
    ["what text editor do I use?", "which editor do I code in?", "what is my code editor?", "what do I edit files with?"],
    pick(EDITORS))
rel("backups", SELF,
    ["backups run every night at {x}.", "the nightly backup starts at {x}.", "my backup job is scheduled for {x}.",
     "every day at {x} the backup job runs."],
    ["when do backups run?", "what time is the backup?", "when does the nightly backup start?",
     "when is my backup job scheduled?"],
    gen(g_time))
rel("ssh_key", SELF,
    ["my SSH key is in {x}.", "the ssh key lives at {x}.", "my private key is stored in {x}.", "I keep my private key in {x}."],
    ["where is my ssh key?", "where do I keep my SSH key?", "what's the path to my private key?",
     "where is my private key stored?"],
    gen(g_keypath))

# ---- general computing knowledge: fixed facts (one key each), no entity -----------------------
KNOWLEDGE = [
    ("process", ["A process is a program in execution with its own memory.", "Processes are running programs, each with private memory."],
     ["what is a process?", "define a process", "what does process mean in an OS?", "explain what a process is"]),
    ("scheduler", ["The scheduler decides which process runs next on the CPU.", "CPU time is handed out to processes by the scheduler."],
     ["what does the scheduler do?", "who decides which process runs next?", "what is the job of the scheduler?", "explain the CPU scheduler"]),
    ("virtual memory", ["Virtual memory maps each process's addresses to physical RAM.", "With virtual memory, addresses are translated to physical memory pages."],
     ["what is virtual memory?", "how are addresses translated to RAM?", "explain virtual memory", "what does virtual memory do?"]),
    ("kernel", ["The kernel is the core of the operating system and controls the hardware.", "At the heart of an OS sits the kernel, which manages hardware."],
     ["what is the kernel?", "what is the core of an operating system?", "explain what a kernel does", "what does the OS kernel do?"]),
    ("file system", ["A file system organises data on disk into files and folders.", "Files and directories on a disk are managed by the file system."],
     ["what is a file system?", "how is data on a disk organised?", "explain file systems", "what does a file system do?"]),
    ("deadlock", ["A deadlock happens when processes wait on each other forever.", "Two processes each holding a lock the other needs is a deadlock."],
     ["what is a deadlock?", "why do processes wait on each other forever?", "explain deadlocks", "what does a deadlock mean?"]),
    ("system call", ["A system call is how a program asks the kernel for a service.", "Programs request kernel services through system calls."],
     ["what is a system call?", "how does a program ask the kernel for something?", "explain syscalls", "what does a system call do?"]),
    ("context switch", ["A context switch saves one process's state and restores another's.", "Switching the CPU from one process to another is a context switch."],
     ["what is a context switch?", "how does the CPU switch between processes?", "explain context switching", "what happens in a context switch?"]),
    ("cache", ["A cache keeps copies of recently used data close by for fast access.", "Caching stores frequently used data so it can be read quickly."],
     ["what is a cache?", "why do computers keep copies of data nearby?", "explain caching", "what does a cache do?"]),
    ("thread", ["A thread is a unit of execution that shares memory with its process.", "Threads run inside a process and share its memory."],
     ["what is a thread?", "how is a thread different from a process?", "explain threads", "what are threads?"]),
    ("interrupt", ["An interrupt is a signal that makes the CPU stop and handle an event.", "Hardware raises interrupts to get the CPU's attention."],
     ["what is an interrupt?", "how does hardware get the CPU's attention?", "explain interrupts", "what do interrupts do?"]),
    ("paging", ["Paging splits memory into fixed-size pages that can move to disk.", "Memory is divided into pages, which can be swapped out to disk."],
     ["what is paging?", "how is memory split into pages?", "explain paging", "what does paging do?"]),
    ("mutex", ["A mutex is a lock that lets only one thread into a critical section.", "Only one thread at a time can hold a mutex."],
     ["what is a mutex?", "how do you keep two threads out of a critical section?", "explain mutexes", "what does a lock do?"]),
    ("boot", ["Booting loads the operating system when the computer starts.", "At power on, the bootloader starts the operating system."],
     ["what does booting mean?", "what happens when a computer starts up?", "explain the boot process", "what does booting do?"]),
    ("dns", ["DNS translates domain names into IP addresses.", "The domain name system turns names like example.com into IPs."],
     ["what is DNS?", "how are domain names turned into IP addresses?", "explain DNS", "what does the domain name system do?"]),
    ("compiler", ["A compiler translates source code into machine code.", "Source code is turned into an executable by a compiler."],
     ["what is a compiler?", "how does source code become machine code?", "explain compilers", "what does a compiler do?"]),
    ("llm kernel", ["In AIOS the kernel is a language model that runs in a web worker.", "AIOS runs its LLM kernel inside a web worker in the browser."],
     ["what is the AIOS kernel?", "where does the AIOS language model run?", "explain how AIOS works", "what does the AIOS kernel do?"]),
    ("agents as processes", ["AIOS treats every agent as a process with its own quota.", "Agents in AIOS are processes, each with a priority and a quota."],
     ["how does AIOS run agents?", "are agents processes in AIOS?", "what is an agent in AIOS?", "how are agents scheduled?"]),
    ("embedding", ["An embedding is a vector that captures the meaning of a text.", "Texts with similar meaning get nearby embedding vectors."],
     ["what is an embedding?", "how is the meaning of text turned into a vector?", "explain embeddings", "what does an embedding do?"]),
    ("webgpu", ["WebGPU lets web pages run computations on the graphics card.", "Browsers expose the GPU to web apps through WebGPU."],
     ["what is WebGPU?", "how can a web page use the GPU?", "explain WebGPU", "what does WebGPU do?"]),
]


def article(word):
    return "an" if word[:1].lower() in "aeiou" else "a"


# =====================================================================================
# keys and sampling
# =====================================================================================
class Key:
    __slots__ = ("rel", "subj", "aliases", "task", "split", "kid")

    def __init__(self, rel, subj, aliases, split, task=None):
        self.rel, self.subj, self.aliases, self.split, self.task = rel, subj, aliases, split, task
        self.kid = f"{rel.name if rel else 'knowledge'}:{subj}"


def build_keys():
    keys = []
    for R in REL:
        for subj, aliases in R.subjects:
            split = "both"
            if R.split_subjects:
                split = "eval" if h("s:" + subj) % 4 == 0 else "train"
            task = next((t for t in TASKS if t[0] == subj), None) if R.name == "task" else None
            keys.append(Key(R, subj, aliases, split, task))
    for topic, _, _ in KNOWLEDGE:
        keys.append(Key(None, topic, [topic], "both"))
    return keys


def fill(tpl, key, alias, value):
    s = tpl
    if key.task:
        s = s.replace("{t}", key.task[0]).replace("{n}", key.task[1])
    s = s.replace("{a}", article(alias)).replace("{s}", alias).replace("{x}", value if value is not None else "")
    return s[0].upper() + s[1:]


def sample_value(key, r, split, avoid=()):
    R = key.rel
    fn = R.value[key.subj] if isinstance(R.value, dict) else R.value
    for _ in range(60):
        v = fn(r, key.subj) if fn is team_repo else fn(r)
        if v in avoid:
            continue
        if heldout_value(v) == (split == "eval"):
            return v
    return v


Q_PREFIX = {"train": ["", "", "", "", "", "hey, ", "quick question: ", "do you know ", "can you tell me ", "I forgot, ",
                      "remind me, ", "sorry, ", "hmm "],
            "eval": ["", "", "", "hey, do you know ", "sorry, quick question: "]}
F_PREFIX = {"train": ["", "", "", "", "", "note: ", "remember that ", "fyi ", "just so you know, ", "memo: ", "fact: "],
            "eval": ["", "", "", "note that ", "just so you know: "]}


def surface(r, text, prefixes):
    p = r.choice(prefixes)
    if p:
        text = p + text[0].lower() + text[1:]
    k = r.random()
    if text[-1] in "?." and k < 0.25:
        text = text[:-1]
    elif k > 0.93:
        text = text.lower()
    return text[0].upper() + text[1:]


def make_fact(key, r, split, value, tsplit=None):
    tsplit = tsplit or split
    if key.rel is None:
        # fixed sentences: both phrasings are trained, only the query phrasing is held out
        facts = next(k for k in KNOWLEDGE if k[0] == key.subj)[1]
        text = facts[0] if tsplit == "eval" else r.choice(facts)
        return surface(r, text, F_PREFIX[tsplit])
    tpl = r.choice(key.rel.facts[tsplit])
    return surface(r, fill(tpl, key, r.choice(key.aliases), value), F_PREFIX[tsplit])


def make_query(key, r, split):
    if key.rel is None:
        qs = next(k for k in KNOWLEDGE if k[0] == key.subj)[2]
        text = qs[3] if split == "eval" else r.choice(qs[:3])
        return surface(r, text, Q_PREFIX[split])
    tpl = r.choice(key.rel.queries[split])
    return surface(r, fill(tpl, key, r.choice(key.aliases), None), Q_PREFIX[split])


ENTITY_QUERIES = ["what do I know about {x}?", "{x}", "tell me about {x}", "who or what is {x}?", "anything about {x}?",
                  "what did I say about {x}?", "notes on {x}", "{x}?"]
NOTE_HEADS = ["", "", "Notes: ", "Things to remember: ", "Journal: ", "Memo to self. ", "Meeting notes: ", "Personal notes\n"]


# Relations whose facts look alike: batches draw keys in clusters from these (hard negatives).
GROUPS = [["pet_name", "person_name", "my_name"], ["person_birthday", "my_birthday", "pet_age", "my_age"],
          ["person_city", "my_city", "my_birthplace", "my_address"], ["person_job", "my_job", "my_employer", "my_studies"],
          ["person_phone", "my_phone", "person_email", "my_email"], ["pet_food", "my_dislike", "my_allergy", "my_meds"],
          ["device_os", "my_shell", "my_browser", "my_gpu", "my_editor", "server_port", "device_ip", "ssh_key", "backups"],
          ["wifi", "door_code", "my_locker", "my_apartment", "my_parking", "my_bus", "my_car", "my_plate"],
          ["project_deadline", "project_db", "project_lead", "project_lang", "project_repo", "project_sync"],
          ["event", "task", "project_sync", "project_deadline"], ["my_height", "my_shoe_size", "my_blood_type", "my_hobby"]]


class Sampler:
    def __init__(self, keys, r):
        self.r = r
        self.keys = [k for k in keys if k.split != "eval"]
        self.by_rel, self.by_subj, self.by_group = {}, {}, {}
        for k in self.keys:
            self.by_rel.setdefault(k.rel.name if k.rel else "knowledge", []).append(k)
            self.by_subj.setdefault(k.subj, []).append(k)
        for g in GROUPS:
            members = [k for name in g for k in self.by_rel.get(name, [])]
            for name in g:
                self.by_group.setdefault(name, []).extend(members)

    def batch_keys(self, n):
        """n distinct keys, in small clusters that share a relation or a subject (hard negatives)."""
        r = self.r
        chosen, seen = [], set()
        names = list(self.by_rel)
        while len(chosen) < n:
            # half the seeds uniform over keys, half over relations (single-key relations such as
            # "where do I live" would otherwise be rare next to 28 people x 6 person relations)
            seed = r.choice(self.keys) if r.random() < 0.5 else r.choice(self.by_rel[r.choice(names)])
            group = [seed]
            name, k = seed.rel.name if seed.rel else "knowledge", r.random()
            pool = self.by_subj[seed.subj] if k < 0.35 else self.by_group[name] if k < 0.7 and name in self.by_group \
                else self.by_rel[name]
            group += r.sample(pool, min(len(pool), r.randint(0, 3)))
            for k in group:
                if k.kid not in seen and len(chosen) < n:
                    seen.add(k.kid)
                    chosen.append(k)
        return chosen

    def pair_batch(self, n):
        r = self.r
        anchors, positives, used = [], [], set()
        for key in self.batch_keys(n):
            v = sample_value(key, r, "train", used) if key.rel else None
            if v:
                used.add(v)
            fact = make_fact(key, r, "train", v)
            k = r.random()
            if key.rel and key.rel.entity_query and k < 0.12:
                a = surface(r, r.choice(ENTITY_QUERIES).replace("{x}", v), [""])
            elif k < 0.78:
                a = make_query(key, r, "train")
            elif k < 0.95:
                a = make_fact(key, r, "train", v)  # fact paraphrase
            else:
                a = make_query(key, r, "train")  # query paraphrase
                fact = make_query(key, r, "train")
            anchors.append(a)
            positives.append(fact)
        return anchors, positives

    def note_batch(self, n):
        """Queries against multi-fact notes (long inputs, so every position gets trained)."""
        r = self.r
        keys = self.batch_keys(n * 5)
        anchors, notes, used = [], [], set()
        i = 0
        for _ in range(n):
            m = r.choice([2, 3, 3, 4, 4, 5, 6, 7])
            group, i = keys[i:i + m], i + m
            if not group:
                break
            facts = []
            for key in group:
                v = sample_value(key, r, "train", used) if key.rel else None
                if v:
                    used.add(v)
                facts.append((key, make_fact(key, r, "train", v), v))
            sep = r.choice([" ", " ", "\n", "\n- ", "; "])
            body = sep.join(f for _, f, _ in facts)
            notes.append(r.choice(NOTE_HEADS) + ("- " if sep == "\n- " else "") + body)
            key, _, v = r.choice(facts)
            if key.rel and key.rel.entity_query and r.random() < 0.15:
                anchors.append(surface(r, r.choice(ENTITY_QUERIES).replace("{x}", v), [""]))
            else:
                anchors.append(make_query(key, r, "train"))
        return anchors, notes


# =====================================================================================
# tokenizer: the repo's byte-level BPE (aios_tokenizer.py) with BERT special tokens
# =====================================================================================
SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]


class EmbedTokenizer(TK.Tokenizer):
    """Same BPE as aios-tiny's tokenizer (pre-tokenizer, byte-level, merges), plus a Lowercase
    normalizer and BERT's [CLS] text [SEP] post-processor."""

    def __init__(self, merges):
        self.merges = [tuple(m) for m in merges]
        self.ranks = {m: i for i, m in enumerate(self.merges)}
        vocab = {}
        for t in SPECIALS:
            vocab[t] = len(vocab)
        for b in range(256):
            vocab[TK.BYTE_ENCODER[b]] = len(vocab)
        for a, b in self.merges:
            if a + b not in vocab:
                vocab[a + b] = len(vocab)
        self.vocab = vocab
        self.id_to_token = {i: t for t, i in vocab.items()}
        self.special_ids = {t: vocab[t] for t in SPECIALS}
        self._cache = {}

    def encode_text(self, text, max_len=MAX_LEN):
        ids = [self.special_ids["[CLS]"]]
        for piece, _ in TK.pretokenize(text.lower()):
            for t in self.bpe(TK.to_byte_symbols(piece)):
                ids.append(self.vocab[t])
        ids.append(self.special_ids["[SEP]"])
        return ids[:max_len]  # Transformers.js truncates the same way (drops the tail, [SEP] included)

    def to_json(self):
        special_ids = self.special_ids
        try:  # the base class writes aios-tiny's special tokens; build its JSON with ours, then patch
            self.special_ids = {t: 0 for t in TK.SPECIAL_TOKENS}
            j = super().to_json()
        finally:
            self.special_ids = special_ids
        j["added_tokens"] = [{"id": self.special_ids[t], "content": t, "single_word": False, "lstrip": False,
                              "rstrip": False, "normalized": False, "special": True} for t in SPECIALS]
        j["normalizer"] = {"type": "Lowercase"}
        cls, sep = self.special_ids["[CLS]"], self.special_ids["[SEP]"]
        j["post_processor"] = {
            "type": "TemplateProcessing",
            "single": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                       {"SpecialToken": {"id": "[SEP]", "type_id": 0}}],
            "pair": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                     {"SpecialToken": {"id": "[SEP]", "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 1}},
                     {"SpecialToken": {"id": "[SEP]", "type_id": 1}}],
            "special_tokens": {"[CLS]": {"id": "[CLS]", "ids": [cls], "tokens": ["[CLS]"]},
                               "[SEP]": {"id": "[SEP]", "ids": [sep], "tokens": ["[SEP]"]}},
        }
        j["model"]["unk_token"] = None
        return j


# =====================================================================================
# model: BERT (HF BertModel math: post-LN, exact GELU, learned absolute positions)
# =====================================================================================
class Layer(nn.Module):
    def __init__(self, d, heads, ffn, drop):
        super().__init__()
        self.heads, self.head_dim = heads, d // heads
        self.scale = 1.0 / math.sqrt(d // heads)
        self.query, self.key, self.value, self.attn_out = (nn.Linear(d, d) for _ in range(4))
        self.attn_norm = nn.LayerNorm(d, eps=1e-12)
        self.intermediate = nn.Linear(d, ffn)
        self.output = nn.Linear(ffn, d)
        self.out_norm = nn.LayerNorm(d, eps=1e-12)
        self.drop = nn.Dropout(drop)

    def forward(self, x, bias):
        B, S, D = x.shape
        H, Dh = self.heads, self.head_dim
        q = self.query(x).view(B, S, H, Dh).transpose(1, 2)
        k = self.key(x).view(B, S, H, Dh).transpose(1, 2)
        v = self.value(x).view(B, S, H, Dh).transpose(1, 2)
        att = torch.matmul(q, k.transpose(-1, -2)) * self.scale + bias
        att = self.drop(torch.softmax(att, dim=-1))
        ctx = torch.matmul(att, v).transpose(1, 2).reshape(B, S, H * Dh)
        x = self.attn_norm(x + self.drop(self.attn_out(ctx)))
        return self.out_norm(x + self.drop(self.output(F.gelu(self.intermediate(x)))))


class TinyBert(nn.Module):
    def __init__(self, vocab, d=HIDDEN, layers=LAYERS, heads=HEADS, ffn=FFN, max_len=MAX_LEN, drop=0.1):
        super().__init__()
        self.word = nn.Embedding(vocab, d)
        self.pos = nn.Embedding(max_len, d)
        self.token_type = nn.Embedding(2, d)
        self.emb_norm = nn.LayerNorm(d, eps=1e-12)
        self.drop = nn.Dropout(drop)
        self.layers = nn.ModuleList(Layer(d, heads, ffn, drop) for _ in range(layers))
        self.apply(self._init)

    @staticmethod
    def _init(m):
        if isinstance(m, (nn.Linear, nn.Embedding)):
            nn.init.normal_(m.weight, std=0.02)
        if isinstance(m, nn.Linear) and m.bias is not None:
            nn.init.zeros_(m.bias)

    def forward(self, input_ids, attention_mask, token_type_ids):
        S = input_ids.shape[1]
        pos = torch.arange(S, device=input_ids.device).unsqueeze(0)
        x = self.word(input_ids) + self.pos(pos) + self.token_type(token_type_ids)
        x = self.drop(self.emb_norm(x))
        bias = (1.0 - attention_mask[:, None, None, :].to(x.dtype)) * -1e9
        for layer in self.layers:
            x = layer(x, bias)
        return x  # last_hidden_state


def mean_pool(hidden, mask):
    m = mask.unsqueeze(-1).to(hidden.dtype)
    return (hidden * m).sum(1) / m.sum(1).clamp(min=1e-9)


def collate(tok, texts):
    ids = [tok.encode_text(t) for t in texts]
    L = max(len(x) for x in ids)
    inp = torch.zeros((len(ids), L), dtype=torch.long)  # [PAD] = 0
    mask = torch.zeros((len(ids), L), dtype=torch.long)
    for i, x in enumerate(ids):
        inp[i, :len(x)] = torch.tensor(x)
        mask[i, :len(x)] = 1
    return inp, mask, torch.zeros_like(inp)


def embed(model, tok, texts, bs=256):
    out = []
    with torch.no_grad():
        for k in range(0, len(texts), bs):
            inp, mask, tt = collate(tok, texts[k:k + bs])
            out.append(F.normalize(mean_pool(model(inp, mask, tt), mask), dim=-1))
    return torch.cat(out)


# =====================================================================================
# training
# =====================================================================================
def train(model, tok, sampler, steps, lr, bs, note_bs, scale):
    decay, no_decay = [], []
    for n, p in model.named_parameters():
        (no_decay if p.dim() < 2 else decay).append(p)
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.01}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=lr, betas=(0.9, 0.98), eps=1e-6)
    warmup = max(10, steps // 15)
    t0 = time.time()
    ema = None
    model.train()
    for step in range(steps):
        cur = lr * (step + 1) / warmup if step < warmup else \
            lr * (0.02 + 0.98 * 0.5 * (1 + math.cos(math.pi * (step - warmup) / max(1, steps - warmup))))
        for g in opt.param_groups:
            g["lr"] = cur
        a, p = sampler.note_batch(note_bs) if step % 6 == 5 else sampler.pair_batch(bs)
        ca, cp = collate(tok, a), collate(tok, p)
        ea = mean_pool(model(*ca), ca[1])
        ep = mean_pool(model(*cp), cp[1])
        ea, ep = F.normalize(ea, dim=-1), F.normalize(ep, dim=-1)
        sim = ea @ ep.T * scale
        labels = torch.arange(len(a))
        loss = (F.cross_entropy(sim, labels) + F.cross_entropy(sim.T, labels)) / 2
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        lv = loss.item()
        ema = lv if ema is None else 0.97 * ema + 0.03 * lv
        if step % 100 == 0 or step == steps - 1:
            log(f"step {step:5d}/{steps} loss {lv:.4f} ema {ema:.4f} lr {cur:.2e} {time.time() - t0:.0f}s")
    model.eval()
    return ema, time.time() - t0


# =====================================================================================
# evaluation: held-out query templates, fact templates, values (and project names)
# =====================================================================================
def evaluate(model, tok, keys, seed, pools=5, pool_size=200, split="eval"):
    r = random.Random(seed)
    eval_keys = [k for k in keys if k.split != ("train" if split == "eval" else "eval")]
    hits1 = hits5 = 0
    rr = 0.0
    n = 0
    misses = []
    self_keys_miss = set()
    per_rel = {}
    for _ in range(pools):
        pool = r.sample(eval_keys, pool_size)
        used, facts, queries = set(), [], []
        for key in pool:
            v = sample_value(key, r, split, used) if key.rel else None
            if v:
                used.add(v)
            facts.append(make_fact(key, r, split, v))
            queries.append(make_query(key, r, split))
        ef, eq = embed(model, tok, facts), embed(model, tok, queries)
        sims = eq @ ef.T
        for i in range(len(pool)):
            rank = int((sims[i] > sims[i, i]).sum()) + 1
            hits1 += rank == 1
            hits5 += rank <= 5
            rr += 1.0 / rank
            n += 1
            name = pool[i].rel.name if pool[i].rel else "knowledge"
            a = per_rel.setdefault(name, [0, 0])
            a[0] += rank == 1
            a[1] += 1
            if rank > 1 and (len(misses) < 10 or len(self_keys_miss) < 10 and name not in self_keys_miss and name.startswith("my_")):
                if name.startswith("my_"):
                    self_keys_miss.add(name)
                misses.append(f"    {queries[i]!r} -> {facts[int(sims[i].argmax())]!r} (want {facts[i]!r}, rank {rank})")
    return {"recall@1": hits1 / n, "recall@5": hits5 / n, "mrr": rr / n, "queries": n,
            "macro_recall@1": sum(a / b for a, b in per_rel.values()) / len(per_rel),
            "per_relation_r1": {k: round(a / b, 2) for k, (a, b) in sorted(per_rel.items())}}, misses


SANITY_NOTES = [
    "My dog's name is Biscuit.", "I live in Lisbon.", "My sister Anna works as a nurse in Porto.",
    "The wifi password is sunflower42.", "Dentist appointment on Tuesday at 3pm.", "My favourite colour is green.",
    "Project Apollo is due on March 3.", "I take bus 42 to work.", "My laptop runs Debian.",
    "I am allergic to peanuts.", "Buy milk and eggs.", "The meeting with the design team moved to Friday.",
]
SANITY_QUERIES = [("what is my dog called?", 0), ("where do I live", 1), ("what does my sister do?", 2),
                  ("what's the wifi password?", 3), ("when is my dentist appointment?", 4),
                  ("what colour do I like?", 5), ("when is Apollo due?", 6), ("which bus do I take?", 7),
                  ("what OS is on my laptop?", 8), ("what am I allergic to?", 9)]

FIXTURE_TEXTS = [
    "My dog's name is Biscuit.", "what is my dog called?", "I live in Lisbon.", "where do I live",
    "The staging server runs on port 8080.",
    "Notes: I have a dentist appointment on Tuesday at 3pm. My sister's name is Anna. The wifi password is sunflower42.",
    "Caf\u00e9 na\u00efve \u00fcber \u2014 \u65e5\u672c\u8a9e \U0001F600 MIXED case, digits 1234567890!",
    "x",
    # longer than MAX_LEN tokens: both tokenizers keep the first 128 ids ([SEP] is cut off)
    "Meeting notes: " + " ".join(f"item {i}: the {c} project database is Postgres and the lead is Anna." for i, c in enumerate(CODENAMES[:12])),
]


# =====================================================================================
# export
# =====================================================================================
class ExportWrapper(nn.Module):
    def __init__(self, m):
        super().__init__()
        self.m = m

    def forward(self, input_ids, attention_mask, token_type_ids):
        return self.m(input_ids, attention_mask, token_type_ids)


def export_onnx(model, path):
    import onnx
    model.eval()
    ids = torch.randint(5, VOCAB_SIZE, (2, 7))
    mask = torch.ones(2, 7, dtype=torch.long)
    mask[1, 5:] = 0
    tt = torch.zeros(2, 7, dtype=torch.long)
    dyn = {n: {0: "batch_size", 1: "sequence_length"} for n in ["input_ids", "attention_mask", "token_type_ids", "last_hidden_state"]}
    with torch.no_grad():
        # (a fresh wrapper is in training mode, and export restores the wrapper's mode -- recursively
        # -- on exit, which would switch dropout back on in `model`; so wrap an eval-mode wrapper)
        torch.onnx.export(ExportWrapper(model).eval(), (ids, mask, tt), path, input_names=["input_ids", "attention_mask", "token_type_ids"],
                          output_names=["last_hidden_state"], dynamic_axes=dyn, opset_version=14, do_constant_folding=True)
    model.eval()
    m = onnx.load(path)
    shapes = {vi.name: ["batch_size", "sequence_length"] + ([HIDDEN] if vi.name == "last_hidden_state" else []) for vi in list(m.graph.input) + list(m.graph.output)}
    pin_signature(m, shapes, "aios-embed/tools/make_embedder.py", path)
    return [i.name for i in m.graph.input]


def write_json(path, obj, indent=2):
    with open(path, "w", encoding="utf-8") as f:
        json.dump(obj, f, ensure_ascii=False, indent=indent)
        f.write("\n")


def write_configs(tok, n_params, eval_res):
    write_json(os.path.join(OUT, "config.json"), {
        "model_type": "bert",
        "architectures": ["BertModel"],
        "vocab_size": VOCAB_SIZE,
        "hidden_size": HIDDEN,
        "num_hidden_layers": LAYERS,
        "num_attention_heads": HEADS,
        "intermediate_size": FFN,
        "hidden_act": "gelu",
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "max_position_embeddings": MAX_LEN,
        "type_vocab_size": 2,
        "initializer_range": 0.02,
        "layer_norm_eps": 1e-12,
        "pad_token_id": tok.special_ids["[PAD]"],
        "position_embedding_type": "absolute",
        "torch_dtype": "float32",
        "transformers.js_config": {"dtype": "fp32"},
        "aios": {"pooling": "mean", "normalize": True, "parameters": n_params,
                 "heldout_eval": {k: round(v, 4) for k, v in eval_res.items() if isinstance(v, float)},
                 "made_by": "tools/make_embedder.py"},
    })
    tok.save(os.path.join(OUT, "tokenizer.json"))
    write_json(os.path.join(OUT, "tokenizer_config.json"), {
        "tokenizer_class": "BertTokenizer",
        "cls_token": "[CLS]",
        "sep_token": "[SEP]",
        "pad_token": "[PAD]",
        "unk_token": "[UNK]",
        "mask_token": "[MASK]",
        "do_lower_case": True,
        "clean_up_tokenization_spaces": False,
        "model_max_length": MAX_LEN,
        "padding_side": "right",
        "added_tokens_decoder": {str(tok.special_ids[t]): {"content": t, "lstrip": False, "normalized": False,
                                                          "rstrip": False, "single_word": False, "special": True}
                                 for t in SPECIALS},
    })


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="60 training steps (smoke-test weights, same formats)")
    ap.add_argument("--steps", type=int, default=None)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--out", default=None)
    ap.add_argument("--fixture", default=None)
    ap.add_argument("--no-export", action="store_true", help="train and evaluate only")
    ap.add_argument("--checkpoint", default=None, help="skip training: evaluate and export these weights "
                    "(tools/work/aios-embed.pt, saved by a full run when tools/work/ exists)")
    args = ap.parse_args()
    global OUT, FIXTURE
    OUT = os.path.abspath(args.out) if args.out else OUT
    FIXTURE = os.path.abspath(args.fixture) if args.fixture else FIXTURE

    torch.set_num_threads(args.threads)
    torch.manual_seed(SEED)
    np.random.seed(SEED)
    r = random.Random(SEED)
    t_all = time.time()

    keys = build_keys()
    nrel = len(REL) + 1
    log(f"data: {nrel} relations, {len(keys)} keys ({sum(k.split != 'eval' for k in keys)} in training); "
        f"query templates train/held-out {sum(len(R.queries['train']) for R in REL)}/{sum(len(R.queries['eval']) for R in REL)}, "
        f"fact templates {sum(len(R.facts['train']) for R in REL)}/{sum(len(R.facts['eval']) for R in REL)}")

    # 1. tokenizer: BPE merges learned on training-split text only ------------------------
    t0 = time.time()
    sampler = Sampler(keys, random.Random(SEED + 1))
    texts = []
    for _ in range(60 if args.quick else 150):
        a, p = sampler.pair_batch(128)
        texts += a + p
    texts = [t.lower() for t in texts]
    ckpt = torch.load(args.checkpoint) if args.checkpoint else None
    merges = [tuple(m) for m in ckpt["merges"]] if ckpt else TK.train_bpe(texts, VOCAB_SIZE - 256 - len(SPECIALS))
    tok = EmbedTokenizer(merges)
    assert len(tok) == VOCAB_SIZE, len(tok)
    log(f"tokenizer: {len(merges)} merges, vocab {len(tok)} ({time.time() - t0:.1f}s)")

    # 2. model + training ---------------------------------------------------------------
    model = TinyBert(VOCAB_SIZE)
    n_params = sum(p.numel() for p in model.parameters())
    log(f"params: {n_params} ({n_params * 4 / 1e6:.2f} MB fp32)")
    steps = args.steps or (60 if args.quick else 450)
    sampler = Sampler(keys, r)
    if ckpt:
        model.load_state_dict(ckpt["state_dict"])
        model.eval()
        log(f"weights from {args.checkpoint} (no training)")
    else:
        final_ema, train_s = train(model, tok, sampler, steps, lr=1.5e-3, bs=128, note_bs=32, scale=20.0)
        log(f"training: {steps} steps in {train_s:.0f}s, final loss (ema) {final_ema:.4f}")

    # 3. evaluation ----------------------------------------------------------------------
    t0 = time.time()
    res, misses = evaluate(model, tok, keys, SEED + 99)
    res_seen, _ = evaluate(model, tok, keys, SEED + 98, pools=2, split="train")
    log(f"held-out eval (200 candidates, {res['queries']} queries; held-out query+fact templates, values, project names): "
        f"recall@1 {res['recall@1']:.3f}  recall@5 {res['recall@5']:.3f}  MRR {res['mrr']:.3f}  "
        f"(mean over relations: recall@1 {res['macro_recall@1']:.3f})")
    log(f"  per relation recall@1: {json.dumps(res['per_relation_r1'])}")
    log(f"  training templates and values, same protocol: recall@1 {res_seen['recall@1']:.3f}  MRR {res_seen['mrr']:.3f}")
    log("  some misses:\n" + "\n".join(misses))
    en, eq = embed(model, tok, SANITY_NOTES), embed(model, tok, [q for q, _ in SANITY_QUERIES])
    sims = eq @ en.T
    ok = 0
    for i, (q, want) in enumerate(SANITY_QUERIES):
        best = int(sims[i].argmax())
        ok += best == want
        log(f"  {'ok  ' if best == want else 'MISS'} {q!r} -> {SANITY_NOTES[best]!r} ({float(sims[i, best]):.3f})")
    log(f"sanity: {ok}/{len(SANITY_QUERIES)} ({time.time() - t0:.0f}s)")
    if os.path.isdir(os.path.join(ROOT, "tools", "work")) and not args.out and not ckpt:
        torch.save({"state_dict": model.state_dict(), "merges": merges}, os.path.join(ROOT, "tools", "work", "aios-embed.pt"))
    if args.no_export:
        return

    # 4. export + fixture ---------------------------------------------------------------
    os.makedirs(os.path.join(OUT, "onnx"), exist_ok=True)
    os.makedirs(os.path.dirname(FIXTURE), exist_ok=True)
    write_configs(tok, n_params, res)
    inputs = export_onnx(model, os.path.join(OUT, "onnx", "model.onnx"))
    # The copy optimized for ONNX Runtime's CPU kernels, which wasm and Node load.
    subprocess.run(["node", os.path.join(ROOT, "tools", "optimize_onnx.mjs"), OUT], check=True)
    log(f"onnx: inputs {inputs}, output last_hidden_state")
    emb = embed(model, tok, FIXTURE_TEXTS)
    write_json(FIXTURE, {
        "model": "aios-embed",
        "pooling": "mean",
        "normalize": True,
        "dim": HIDDEN,
        "note": "torch fp32 embeddings (mean pooling over attention_mask incl. [CLS]/[SEP], L2-normalised) and the "
                "token ids (with [CLS]/[SEP]) for each text, written by tools/make_embedder.py.",
        "cases": [{"text": t, "ids": tok.encode_text(t), "embedding": [round(float(x), 7) for x in e]}
                  for t, e in zip(FIXTURE_TEXTS, emb)],
        "sanity": {"notes": SANITY_NOTES, "queries": [{"query": q, "best": w} for q, w in SANITY_QUERIES]},
    })
    files = ["config.json", "tokenizer.json", "tokenizer_config.json", "onnx/model.onnx"]
    sizes = {f: os.path.getsize(os.path.join(OUT, f)) for f in files}
    log("files: " + ", ".join(f"{k} {v / 1024:.0f} KiB" for k, v in sizes.items()) + f"; total {sum(sizes.values()) / 1e6:.2f} MB")
    log(f"done in {time.time() - t_all:.0f}s")


if __name__ == "__main__":
    main()
