"""Forms of the try-on pages. Validation of the photo itself lives in `tryon.validation`."""

from __future__ import annotations

from django import forms

from accounts.models import User
from revetir.object_keys import ObjectKeyFormField
from tryon.selectors import photo_labels_for_user, photos_for_user


class PhotoUploadForm(forms.Form):
    photo = forms.FileField(
        label="Your photo",
        help_text="JPEG, PNG or WebP, up to 10 MB. Face the camera with your upper body visible.",
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
    )


class TryOnForm(forms.Form):
    """Start a try-on: a saved photo or a new upload, and the product to put on it."""

    # Kept as text: the view looks the product up, and an id of no product here is a 404, not a crash.
    product = ObjectKeyFormField(
        widget=forms.HiddenInput,
        error_messages={
            "required": "Choose a product to try on.",
            "invalid": "That is not a product that can be tried on; go back to its page and try again.",
        },
    )
    # Radio buttons, so the page can show each saved photo's thumbnail next to its label.
    photo_id = forms.ModelChoiceField(
        queryset=None,
        required=False,
        label="Use a saved photo",
        empty_label="Upload a new photo",
        widget=forms.RadioSelect,
        blank=True,
    )
    photo = forms.FileField(
        required=False,
        label="Or upload a photo",
        help_text="JPEG, PNG or WebP, up to 10 MB. Face the camera with your upper body visible.",
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
    )

    def __init__(self, *args, user: User, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["photo_id"].queryset = photos_for_user(user=user)
        labels = photo_labels_for_user(user=user)
        self.fields["photo_id"].label_from_instance = lambda photo: labels.get(photo.pk, "Your photo")

    def clean(self) -> dict:
        cleaned = super().clean()
        if not cleaned.get("photo_id") and not cleaned.get("photo") and "photo" not in self.errors:
            self.add_error("photo", "Choose a saved photo or upload one.")
        return cleaned
