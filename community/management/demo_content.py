"""The words of the demo community: names, cities, and for each lifestyle
theme the titles, tips and comments its notes are made of (English, written
to read like real posts). ``demo_plan`` combines them; nothing here touches
the database."""

from __future__ import annotations

from dataclasses import dataclass, field

FIRST_NAMES = (
    "Maya", "Leo", "Aisha", "Noah", "Sofia", "Kenji", "Chloe", "Daniel", "Priya", "Lucas",
    "Emma", "Omar", "Hana", "Mateo", "Zoe", "Ivan", "Amara", "Julia", "Ethan", "Mei",
    "Sara", "Tomas", "Nina", "Ravi", "Lea", "Samuel", "Yuki", "Clara", "Diego", "Fatima",
    "Oliver", "Ines", "Arjun", "Lina", "Grace", "Felix", "Alba", "Kofi", "Elena", "Theo",
    "Nora", "Hugo", "Ayla", "Ben", "Rosa", "Mila", "Jonah", "Leila",
)  # fmt: skip
SURNAMES = (
    "Chen", "Martins", "Rahman", "Fischer", "Rossi", "Watanabe", "Bernard", "Okafor",
    "Nair", "Silva", "Larsen", "Haddad", "Kim", "Garcia", "Thompson", "Petrov", "Mensah",
    "Nowak", "Brooks", "Lin", "Lindqvist", "Ortega", "Kowalski", "Patel", "Dubois",
    "Adeyemi", "Tanaka", "Meyer", "Herrera", "Zahra", "Wright", "Costa", "Mehta", "Park",
    "Wagner", "Romero", "Asante", "Popescu", "Laurent", "Jensen", "Moreau", "Demir",
    "Carter", "Alvarez", "Ivanova", "Stein", "Karimi",
)  # fmt: skip
CITIES = (
    "Lisbon", "Berlin", "Toronto", "Melbourne", "Seoul", "Mexico City", "Copenhagen",
    "Osaka", "Cape Town", "Barcelona", "Chicago", "Singapore", "Edinburgh", "Nairobi",
)  # fmt: skip


@dataclass(frozen=True)
class Niche:
    """A lifestyle theme: its topics, the board people save it to, and the
    phrases its notes and comments are made of. ``slots`` fill ``{name}``
    placeholders in titles, openers and tips."""

    name: str
    bio: str
    board: str
    topics: tuple[str, ...]
    titles: tuple[str, ...]
    openers: tuple[str, ...]
    tips: tuple[str, ...]
    closers: tuple[str, ...]
    # (comment, the author's answer, or None for praise the author just thanks)
    comments: tuple[tuple[str, str | None], ...]
    slots: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # What its photos show (``community.demo_pictures.SUBJECTS``).
    picture: str = "room"


# fmt: off
# (Hand-laid for reading: one phrase a line, vocabularies as paragraphs.)
NICHES: tuple[Niche, ...] = (
    Niche(
        name="food",
        picture="food",
        bio="Home cook and weekend baker",
        board="Recipes to try",
        topics=("recipes", "homecooking", "mealprep", "easydinner", "baking"),
        titles=(
            "{dish} in {minutes} minutes",
            "The {dish} I make every single week",
            "{dish}, the lazy way",
            "Weeknight win: {dish}",
            "My grandmother's {dish}",
            "Meal prep Sunday: {dish} for four days",
            "{dish} that tastes like takeout",
        ),
        openers=(
            "This one has been on repeat in our kitchen for a month now.",
            "I wanted something warm and fast after work, so here we go.",
            "Rainy evening, nearly empty fridge, and somehow this turned out great.",
            "Friends keep asking for this recipe, so I finally wrote it down.",
        ),
        tips=(
            "Toast the spices in the dry pan first, it makes all the difference.",
            "Double the sauce and freeze half for next week.",
            "A squeeze of lime at the very end wakes everything up.",
            "Let it rest five minutes before serving.",
            "Swap the cream for coconut milk if you like it lighter.",
            "Salt in layers, not all at the end.",
            "Chop everything before the pan gets hot: it all goes fast.",
            "Leftovers are even better the next day for lunch.",
        ),
        closers=(
            "Tell me if you try it!",
            "Saving this here so I stop texting myself the recipe.",
            "Next time I'm adding more chili.",
        ),
        comments=(
            ("Made this last night and my partner asked for seconds!", None),
            ("How long does it keep in the fridge?", "About three days in a sealed box."),
            ("Could I use tofu instead?", "Yes! Press it well first so it gets crispy."),
            ("Saving this for the weekend 🙌", None),
            ("The colours in these photos are unreal.",
             "Thank you! Window light in the afternoon is the whole trick."),
        ),
        slots={
            "dish": (
                "miso butter noodles", "one-pan lemon chicken", "crispy chickpea salad",
                "overnight oats", "shakshuka", "banana bread", "sesame cucumber salad",
                "tomato egg stir-fry", "sheet-pan gnocchi", "coconut lentil curry",
                "sourdough focaccia", "peanut soba bowl",
            ),
            "minutes": ("10", "15", "20", "25", "30"),
        },
    ),
    Niche(
        name="skincare",
        picture="flatlay",
        bio="Skincare nerd with sensitive skin",
        board="Skincare shelf",
        topics=("skincare", "skincareroutine", "spf", "selfcare"),
        titles=(
            "My {time} routine in {count} steps",
            "Empties of the month: what I'd buy again",
            "{item}: eight weeks later",
            "Barrier rescue after a winter trip",
            "Honest review: {item}",
            "Sensitive skin edit: what finally worked",
        ),
        openers=(
            "My skin has been so calm lately, so here's everything I use.",
            "I tested the {item} for two months before posting about it.",
            "Keeping it simple this season: fewer products, more consistency.",
        ),
        tips=(
            "Patch test anything new on your jaw for three days.",
            "SPF every morning, even when it's cloudy.",
            "Moisturise on damp skin, it locks in so much more.",
            "Introduce one new product at a time.",
            "Lukewarm water, never hot.",
            "Retinol only at night, and only twice a week to start.",
            "Don't forget your neck and the backs of your hands.",
        ),
        closers=(
            "Not sponsored, just things I actually finished.",
            "Everyone's skin is different, so listen to yours!",
            "What's the one product you'd never give up?",
        ),
        comments=(
            ("Does the serum pill under makeup?", "Not for me if I wait a minute between layers."),
            ("Thank you for the patch test tip, learned that the hard way.",
             "Same here, never again!"),
            ("Which SPF is this? It looks so light.", "It's a mineral one, no white cast on me."),
            ("Adding the moisturiser to my list.", None),
        ),
        slots={
            "time": ("morning", "evening", "lazy Sunday"),
            "count": ("3", "4", "5"),
            "item": (
                "niacinamide serum", "mineral SPF 50", "ceramide moisturiser",
                "vitamin C serum", "hydrating toner", "gentle retinol", "gel cleanser",
            ),
        },
    ),
    Niche(
        name="travel",
        picture="room",
        bio="Slow traveller, window-seat person",
        board="Trips to take",
        topics=("travel", "weekendtrip", "citywalk", "hiddengems"),
        titles=(
            "{days} days in {place} on a small budget",
            "A slow morning walk through {place}",
            "{place}: what I'd do differently",
            "Hidden cafés of {place}",
            "Packing light for {place}",
            "{place} in the off season",
        ),
        openers=(
            "{place} surprised me in the best way.",
            "We had no plan for {place} except good food and long walks.",
            "Back from {place} and already planning the next trip.",
        ),
        tips=(
            "Go early: the light is softer and the streets are empty.",
            "Buy a transit card on day one, it pays off by day two.",
            "Book one nice dinner, eat street food for the rest.",
            "Pack a foldable tote for market days.",
            "Download offline maps before you land.",
            "Stay near a bakery. Trust me.",
            "Leave one afternoon completely unplanned.",
        ),
        closers=(
            "Ask me anything about the route!",
            "Where should I go next?",
            "Already missing it.",
        ),
        comments=(
            ("Adding this to my list for spring!", None),
            ("Where did you stay?",
             "A small guesthouse near the old town, happy to share the name."),
            ("That view in the third photo 😍", "It looked even better in person."),
            ("Was it crowded?", "Not at all in the mornings!"),
        ),
        slots={
            "place": (
                "Lisbon", "Kyoto", "the Amalfi coast", "Copenhagen", "Oaxaca",
                "the Scottish Highlands", "Seoul", "Porto", "Hoi An", "Marrakech",
            ),
            "days": ("2", "3", "4", "5"),
        },
    ),
    Niche(
        name="home",
        picture="room",
        bio="Small-space decorator, renter-friendly ideas",
        board="Home ideas",
        topics=("homedecor", "smallspaces", "cozyhome", "organizing"),
        titles=(
            "{room} makeover for under $100",
            "How I organised my {room}",
            "Before and after: the {room}",
            "Renter-friendly fixes for the {room}",
            "A cozier {room} for the colder months",
        ),
        openers=(
            "The {room} was the room I avoided. Not anymore.",
            "Small budget, one weekend, and a lot of patience.",
            "Everything here comes off without a trace when we move out.",
        ),
        tips=(
            "Warm bulbs (2700K) change the whole mood.",
            "Baskets hide clutter and add texture.",
            "Mirror opposite the window doubles the light.",
            "Command hooks are a renter's best friend.",
            "Second-hand frames, new prints.",
            "One big plant beats five small ones.",
            "Edit before you organise: donate first.",
        ),
        closers=(
            "What should I tackle next?",
            "Links to everything in the comments if you ask.",
            "Small changes, big difference.",
        ),
        comments=(
            ("Where is the lamp from?", "Second-hand market, sorry!"),
            ("This is so calming to look at.", None),
            ("Stealing the basket idea.", "Go for it!"),
            ('What paint colour is that?', "It's a warm white, I'll find the name."),
        ),
        slots={
            "room": (
                "tiny balcony", "rental kitchen", "reading corner", "entryway", "bedroom",
                "studio flat", "bathroom shelf",
            ),
        },
    ),
    Niche(
        name="fitness",
        picture="flatlay",
        bio="Learning to love morning workouts",
        board="Workouts",
        topics=("fitness", "homeworkout", "running", "yoga"),
        titles=(
            "{minutes}-minute {workout} for the living room",
            "Week {week} of learning to run",
            "My {workout} routine for busy mornings",
            "Stretching after desk days",
            "{workout} for beginners: what I wish I knew",
        ),
        openers=(
            "No gym, no equipment, just a mat and a timer.",
            "I used to hate {workout}. Now I look forward to it.",
            "Consistency over intensity is my motto this month.",
        ),
        tips=(
            "Warm up for five minutes, always.",
            "Film yourself once to check your form.",
            "Rest days are part of the plan.",
            "Slow down the lowering part of each move.",
            "Drink water before your coffee.",
            "Track how you feel, not just numbers.",
        ),
        closers=(
            "Who wants to join me next week?",
            "Save it for your next lazy day.",
            "Tiny steps count.",
        ),
        comments=(
            ("Doing this tomorrow morning!", "Let me know how it goes!"),
            ("How many rounds do you do?", "Three rounds, four on good days."),
            ("My back thanks you for the stretches.", None),
            ("Love the energy here.", None),
        ),
        slots={
            "workout": (
                "pilates", "yoga flow", "core workout", "mobility routine", "strength session",
            ),
            "minutes": ("10", "15", "20", "30"),
            "week": ("2", "4", "6", "8"),
        },
    ),
    Niche(
        name="plants",
        picture="plants",
        bio="37 houseplants and counting",
        board="Plant care",
        topics=("plants", "houseplants", "plantcare", "urbangarden"),
        titles=(
            "Propagating my {plant} in water",
            "Why my {plant} stopped yellowing",
            "{plant} care, one year in",
            "Balcony herb garden update",
            "Repotting day: {plant} edition",
        ),
        openers=(
            "My {plant} finally has a new leaf and I'm emotional about it.",
            "Plant update! Things are growing.",
            "I nearly gave up on this one. Glad I didn't.",
        ),
        tips=(
            "Water when the top two centimetres are dry, not on a schedule.",
            "Rotate the pot a quarter turn every week.",
            "Bright indirect light means near a window, not in the sun.",
            "Yellow leaves usually mean too much water.",
            "Use a pot with a drainage hole, always.",
            "Wipe the leaves so they can breathe.",
        ),
        closers=(
            "Send me your plant questions!",
            "Green thumbs are made, not born.",
            "Next project: a tiny herb wall.",
        ),
        comments=(
            ('Mine looks so sad next to yours 😅', "It'll bounce back, give it some light!"),
            ("How often do you fertilise?", "Once a month in spring and summer, never in winter."),
            ("That new leaf!", None),
            ("Which soil mix do you use?", "Half potting soil, half bark and perlite."),
        ),
        slots={
            "plant": (
                "monstera", "pothos", "fiddle leaf fig", "snake plant", "calathea", "basil",
                "string of pearls", "peace lily",
            ),
        },
    ),
    Niche(
        name="coffee",
        picture="food",
        bio="Home barista in training",
        board="Coffee spots",
        topics=("coffee", "latteart", "coffeeathome", "cafehopping"),
        titles=(
            "Homemade {drink} that beats my café",
            "Latte art progress, day {day}",
            "Café hopping: {count} spots worth the queue",
            "The {drink} I make every morning",
            "Brewing notes: {bean} beans",
        ),
        openers=(
            "Morning ritual, slowed down.",
            "I've been dialling this in for weeks.",
            "This {drink} is my weekend treat.",
        ),
        tips=(
            "Weigh your beans, it's the cheapest upgrade.",
            "Grind right before brewing.",
            "Oat milk steams best when it's very cold.",
            "Warm the cup first.",
            "Filtered water tastes noticeably better.",
            "A pinch of salt fixes bitter coffee.",
        ),
        closers=(
            "How do you take yours?",
            "Café list in the comments!",
            "One more cup before work.",
        ),
        comments=(
            ("That heart is perfect!", "Thank you! Took a lot of wobbly ones."),
            ("Which grinder do you use?", "A hand grinder, slow but worth it."),
            ("Going to try the salt trick.", None),
            ("I need this right now ☕", None),
        ),
        slots={
            "drink": (
                "oat flat white", "iced pour-over", "cortado", "cold brew",
                "honey cinnamon latte", "espresso tonic", "matcha latte",
            ),
            "day": ("12", "30", "45", "60"),
            "count": ("3", "4", "5"),
            "bean": ("Ethiopian", "Colombian", "Kenyan", "Guatemalan"),
        },
    ),
    Niche(
        name="style",
        picture="flatlay",
        bio="Capsule wardrobe fan, thrift shop regular",
        board="Outfit ideas",
        topics=("ootd", "capsulewardrobe", "thrifting", "minimalstyle"),
        titles=(
            "One {item}, five outfits",
            "Capsule wardrobe for {season}",
            "Thrift haul: the {item} of my dreams",
            "What I wore this week",
            "Packing a {count}-piece travel wardrobe",
        ),
        openers=(
            "Getting dressed is so much easier with fewer, better pieces.",
            "Found this {item} second-hand and it goes with everything.",
            "Neutral base, one colour that pops.",
        ),
        tips=(
            "Pick a base of three colours and stick to it.",
            "Tailoring makes cheap pieces look expensive.",
            "Check the seams and the fabric label when thrifting.",
            "Roll, don't fold, when you pack.",
            "Shoes first: they decide the outfit.",
            "One statement piece per look is plenty.",
        ),
        closers=(
            "Which look is your favourite?",
            "Less shopping, more styling.",
            "More outfits soon!",
        ),
        comments=(
            ("The second look is everything.", None),
            ("Where did you thrift this?", "A charity shop near my office, pure luck."),
            ("Need that {item} in my life.", None),
            ("So effortless!", None),
        ),
        slots={
            "item": (
                "linen shirt", "wide-leg trousers", "trench coat", "white sneakers",
                "knit vest", "denim jacket",
            ),
            "season": ("autumn", "spring", "summer", "winter"),
            "count": ("10", "12", "15"),
        },
    ),
)
# fmt: on

NICHES_BY_NAME = {niche.name: niche for niche in NICHES}

MENTION_LINES = (
    "Inspired by @{user}'s post last week.",
    "cc @{user}, you asked for this!",
    "Thanks @{user} for the tip.",
    "@{user} we need to do this together.",
)
REPORT_REASONS = (
    ("spam", "Looks like an ad for a shop."),
    ("misinformation", "This tip doesn't sound safe."),
    ("ip", "I think these photos are mine."),
    ("other", ""),
)
GENERIC_COMMENTS: tuple[tuple[str, str | None], ...] = (
    ("Love this!", None),
    ("So helpful, thank you.", None),
    ("Beautiful photos.", None),
    ("Saved!", None),
)
THANKS = ("Thank you so much!", "Glad you like it!", "Thank you 🥰", "Made my day, thank you!")
