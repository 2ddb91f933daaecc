"""Forms of the try-on pages. The photo check itself (decoding, cleaning, the body model) is `tryon.photo_check`."""

from __future__ import annotations

from collections.abc import Iterator

from django import forms
from django.forms.models import ModelChoiceIterator

from accounts.models import User
from revetir.object_keys import ObjectKeyFormField
from tryon.models import PersonPhoto
from tryon.selectors import best_photo_for_garments, most_suitable_photo, photo_labels_for_user, photos_for_user
from tryon.wording import photo_help_text


class PhotoUploadForm(forms.Form):
    photo = forms.FileField(
        label="Your photo",
        help_text=photo_help_text(None),
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
    )


class PhotoRadioSelect(forms.RadioSelect):
    """Saved photos to choose from; one that cannot try `garment_type` (set by the form) is disabled."""

    def __init__(self, *args, garment_type: str | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.garment_type = garment_type

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None) -> dict:
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        photo = getattr(value, "instance", None)
        if photo is not None and self.garment_type and not photo.verdict_for(self.garment_type).usable:
            option["attrs"]["disabled"] = True
        return option


class SavedPhotoChoiceIterator(ModelChoiceIterator):
    """The field's choices from the photos the form was given (`field.photos`), when it was given
    them, instead of a second query for the same rows."""

    def __iter__(self) -> Iterator:
        photos = self.field.photos
        if photos is None:
            yield from super().__iter__()
            return
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for photo in photos:
            yield self.choice(photo)

    def __len__(self) -> int:
        if self.field.photos is None:
            return super().__len__()
        return len(self.field.photos) + (1 if self.field.empty_label is not None else 0)

    def __bool__(self) -> bool:
        if self.field.photos is None:
            return super().__bool__()
        return self.field.empty_label is not None or bool(self.field.photos)


class SavedPhotoField(forms.ModelChoiceField):
    """The shopper's saved photos; validated against the database (`queryset`), listed from `photos`
    when the form was given them."""

    iterator = SavedPhotoChoiceIterator
    photos: list[PersonPhoto] | None = None


class TryOnForm(forms.Form):
    """Start a try-on: a saved photo or a new upload, and the product to put on it.

    Given the product's `garment_type`, saved photos that cannot try it are listed disabled with
    the reason, and choosing one anyway is a form error; the upload's help says what photo that
    garment type needs, and an unbound form starts on the saved photo best suited to it.
    """

    # Kept as text: the view looks the product up, and an id of no product here is a 404, not a crash.
    product = ObjectKeyFormField(
        widget=forms.HiddenInput,
        error_messages={
            "required": "Choose a product to try on.",
            "invalid": "That is not a product that can be tried on; go back to its page and try again.",
        },
    )
    # Radio buttons, so the page can show each saved photo's thumbnail next to its label.
    photo_id = SavedPhotoField(
        queryset=None,
        required=False,
        label="Use a saved photo",
        empty_label="Upload a new photo",
        widget=PhotoRadioSelect,
        blank=True,
    )
    photo = forms.FileField(
        required=False,
        label="Or upload a photo",
        help_text=photo_help_text(None),
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
    )

    def __init__(
        self,
        *args,
        user: User,
        garment_type: str | None = None,
        photos: list[PersonPhoto] | None = None,
        **kwargs,
    ) -> None:
        """`photos`: the user's saved photos, newest first and labelled, as
        `tryon.selectors.labelled_photos_for_user` gives them, when the page has read them already
        (the product page shows them in several places); without them the form reads them itself."""
        super().__init__(*args, **kwargs)
        self.garment_type = garment_type
        photo_field = self.fields["photo_id"]
        photo_field.photos = photos
        photo_field.queryset = photos_for_user(user=user)
        photo_field.widget.garment_type = garment_type
        labels = photo_labels_for_user(user=user) if photos is None else {photo.pk: photo.label for photo in photos}
        photo_field.label_from_instance = lambda photo: self._photo_label(photo, labels.get(photo.pk, "Your photo"))
        self.fields["photo"].help_text = photo_help_text(garment_type)
        if garment_type and not self.is_bound and "photo_id" not in self.initial:
            best = (
                best_photo_for_garments(user=user, garment_types=[garment_type])
                if photos is None
                else most_suitable_photo(photos, [garment_type])
            )
            if best is not None and best.verdict_for(garment_type).usable:
                self.initial["photo_id"] = best.pk

    def _photo_label(self, photo, label: str) -> str:
        if self.garment_type:
            verdict = photo.verdict_for(self.garment_type)
            if not verdict.usable:
                label += f" (cannot be used: {verdict.message})"
        return label

    def clean_photo_id(self):
        photo = self.cleaned_data.get("photo_id")
        if photo is not None and self.garment_type:
            verdict = photo.verdict_for(self.garment_type)
            if not verdict.usable:
                raise forms.ValidationError(verdict.message, code="unusable_photo")
        return photo

    def clean(self) -> dict:
        cleaned = super().clean()
        if not cleaned.get("photo_id") and not cleaned.get("photo") and "photo" not in self.errors:
            self.add_error("photo", "Choose a saved photo or upload one.")
        return cleaned
