"""The shopper/staff account: identified by e-mail, custom from the first migration."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django_countries.fields import CountryField

from shop import size_advice

# The shipping fields an address and an order share.
ADDRESS_FIELDS = ("full_name", "address_line1", "address_line2", "city", "postal_code", "country", "phone")


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra_fields) -> User:
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra_fields) -> User:
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email: str, password: str | None = None, **extra_fields) -> User:
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        if not extra_fields["is_staff"] or not extra_fields["is_superuser"]:
            raise ValueError("A superuser needs is_staff=True and is_superuser=True.")
        return self._create_user(email, password, **extra_fields)

    def get_by_natural_key(self, username: str) -> User:
        # E-mail addresses are stored lower-cased; log-in is case-insensitive.
        return self.get(**{self.model.USERNAME_FIELD: username.strip().lower()})


class User(AbstractBaseUser, PermissionsMixin):
    email = models.EmailField("e-mail address", unique=True)
    full_name = models.CharField(max_length=150, blank=True)
    is_staff = models.BooleanField(default=False, help_text="Can log in to the staff admin.")
    is_active = models.BooleanField(default=True)
    date_joined = models.DateTimeField(default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    class Meta:
        ordering = ["email"]

    def __str__(self) -> str:
        return self.email

    def get_full_name(self) -> str:
        return self.full_name or self.email

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email.split("@")[0]


class Address(models.Model):
    """A shipping address in a shopper's address book.

    At most one per user is the default (kept by `accounts.services`); `last_used_at` is set when an
    order is placed to it, so checkout can preselect the address used last.
    """

    user = models.ForeignKey(User, related_name="addresses", on_delete=models.CASCADE)
    full_name = models.CharField("full name", max_length=150)
    address_line1 = models.CharField("address", max_length=200)
    address_line2 = models.CharField("address (line 2)", max_length=200, blank=True)
    city = models.CharField(max_length=100)
    postal_code = models.CharField("postal code", max_length=20)
    country = CountryField()
    phone = models.CharField(max_length=30, blank=True)
    is_default = models.BooleanField("default address", default=False)
    last_used_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-is_default", "-last_used_at", "-created_at", "-id"]
        verbose_name_plural = "addresses"

    def __str__(self) -> str:
        return f"{self.full_name}, {self.address_line1}, {self.postal_code} {self.city}"

    @property
    def country_name(self) -> str:
        return self.country.name

    def as_shipping(self) -> dict[str, str]:
        """The fields an order copies, in the shape `shop.services.place_order` takes (plain strings, so
        the checkout can keep them in the session: the country as its code)."""
        return {field: str(getattr(self, field)) for field in ADDRESS_FIELDS}


class FitPreference(models.TextChoices):
    SNUG = size_advice.FIT_SNUG, "Snug"
    REGULAR = size_advice.FIT_REGULAR, "Regular"
    LOOSE = size_advice.FIT_LOOSE, "Loose"


def _range_validators(bounds: tuple[int, int]) -> list:
    return [MinValueValidator(bounds[0]), MaxValueValidator(bounds[1])]


class BodyProfile(models.Model):
    """What the size finder needs, entered once by the shopper: height, weight and preferred fit,
    plus chest, waist and hips when they know them (otherwise estimated, see `shop.size_advice`)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, related_name="body_profile", on_delete=models.CASCADE)
    height_cm = models.PositiveSmallIntegerField(
        "height (cm)", validators=_range_validators(size_advice.HEIGHT_RANGE_CM)
    )
    weight_kg = models.PositiveSmallIntegerField(
        "weight (kg)", validators=_range_validators(size_advice.WEIGHT_RANGE_KG)
    )
    fit_preference = models.CharField(max_length=10, choices=FitPreference.choices, default=FitPreference.REGULAR)
    chest_cm = models.PositiveSmallIntegerField(
        "chest (cm)", null=True, blank=True, validators=_range_validators(size_advice.GIRTH_RANGE_CM)
    )
    waist_cm = models.PositiveSmallIntegerField(
        "waist (cm)", null=True, blank=True, validators=_range_validators(size_advice.GIRTH_RANGE_CM)
    )
    hips_cm = models.PositiveSmallIntegerField(
        "hips (cm)", null=True, blank=True, validators=_range_validators(size_advice.GIRTH_RANGE_CM)
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"Body profile of {self.user}"

    def measurements(self) -> size_advice.BodyMeasurements:
        return size_advice.BodyMeasurements(
            height_cm=self.height_cm,
            weight_kg=self.weight_kg,
            fit=self.fit_preference,
            chest_cm=self.chest_cm,
            waist_cm=self.waist_cm,
            hips_cm=self.hips_cm,
        )
