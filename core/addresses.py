"""How a street address reads, the one way every page, card, email and suggestion writes it:
"1748 S 6th St, Unit 101"."""


def street_address(number: str, name: str, unit: str = "") -> str:
    street = " ".join(part for part in (number, name) if part)
    return f"{street}, Unit {unit}" if unit else street
