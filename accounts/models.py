from django.contrib.auth.models import AbstractUser


class User(AbstractUser):
    """A person who signs in: a contractor's employee or a city staff member.

    Custom from the first migration so that later fields never need a user-model swap.
    """

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
