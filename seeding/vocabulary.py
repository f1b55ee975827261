"""Words the product and search generators combine (data, not distribution parameters).

Faker has no product names, so catalogues are composed from these category vocabularies:
"<adjective> <brand-ish word> <noun>", e.g. "Wireless Nova Headphones".
"""

from __future__ import annotations

ADJECTIVES: dict[str, tuple[str, ...]] = {
    "Electronics": ("Wireless", "Smart", "Portable", "Ultra HD", "Noise-Cancelling", "Compact", "Pro", "4K",
                    "Bluetooth", "Rechargeable", "Gaming", "Digital"),
    "Clothing": ("Classic", "Slim-Fit", "Organic Cotton", "Waterproof", "Merino", "Relaxed", "Vintage",
                 "Lightweight", "Linen", "Quilted", "Stretch", "Everyday"),
    "Home": ("Ceramic", "Bamboo", "Stainless", "Handmade", "Minimalist", "Nordic", "Cast Iron", "Velvet",
             "Rustic", "Modern", "Scented", "Foldable"),
    "Books": ("Illustrated", "Collected", "Complete", "Pocket", "Annotated", "Bestselling", "First Edition",
              "Paperback", "Hardcover", "Essential", "Practical", "Modern"),
    "Sports": ("Carbon", "Trail", "Training", "Adjustable", "Pro", "Insulated", "Breathable", "Ergonomic",
               "Lightweight", "All-Weather", "Competition", "Recovery"),
}
BRANDS: tuple[str, ...] = ("Nova", "Apex", "Lumen", "Orbit", "Vela", "Kite", "Summit", "Harbor", "Pine", "Echo",
                           "Atlas", "Boreal", "Cobalt", "Drift", "Ember", "Fjord", "Glade", "Halo", "Iris", "Juno")
NOUNS: dict[str, tuple[str, ...]] = {
    "Electronics": ("Headphones", "Speaker", "Smartwatch", "Laptop", "Tablet", "Camera", "Monitor", "Keyboard",
                    "Mouse", "Charger", "Earbuds", "Drone", "Router", "Projector", "E-Reader"),
    "Clothing": ("T-Shirt", "Jeans", "Jacket", "Hoodie", "Dress", "Sweater", "Sneakers", "Scarf", "Shorts",
                 "Blazer", "Socks", "Cap", "Raincoat", "Chinos", "Polo"),
    "Home": ("Mug Set", "Lamp", "Throw Blanket", "Cookware Set", "Vase", "Cutting Board", "Pillow", "Rug",
             "Candle", "Shelf", "Dinner Plates", "Kettle", "Bath Towels", "Planter", "Clock"),
    "Books": ("Cookbook", "Novel", "Field Guide", "Atlas", "Biography", "Poetry Collection", "Workbook",
              "History", "Travel Guide", "Thriller", "Anthology", "Handbook", "Memoir", "Primer", "Journal"),
    "Sports": ("Yoga Mat", "Running Shoes", "Water Bottle", "Dumbbells", "Tennis Racket", "Bike Helmet",
               "Backpack", "Jump Rope", "Football", "Resistance Bands", "Climbing Harness", "Tent",
               "Swim Goggles", "Golf Balls", "Skateboard"),
}
SKU_PREFIX: dict[str, str] = {"Electronics": "ELE", "Clothing": "CLO", "Home": "HOM", "Books": "BOK", "Sports": "SPT"}
SEARCH_TERMS: tuple[str, ...] = tuple(
    sorted({noun.lower() for nouns in NOUNS.values() for noun in nouns}
           | {f"{adj.lower()} {noun.lower()}" for cat in NOUNS for adj in ADJECTIVES[cat][:3]
              for noun in NOUNS[cat][:4]})
)
