"""Words the portal writes around names people chose: a sentence that ends with a name ending in
a period ("Prairie Electric Co.") ends once, not twice."""


def with_period(name: str) -> str:
    """`name` ending a sentence: "Acme Builders." but "Prairie Electric Co." (never "Co..")."""
    return name if name.endswith(".") else f"{name}."
