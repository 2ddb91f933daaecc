"""Reactions to other apps' events and to row deletions; each hands straight to a service or storage.

Files follow their rows: whenever a photo or job row is deleted (by a service, a cascade from a
deleted product or user, or the admin), its stored files are deleted after it, so no shopper's
picture outlives the row that points to it.
"""

from __future__ import annotations

from accounts.models import User
from revetir.shopper_cache import forget_shopper_values
from shop.models import ProductImage
from tryon.models import GarmentPreparation, PersonPhoto, PhotoPreparation, TryOnJob
from tryon.preparations import side_cache
from tryon.services import delete_user_tryon_data, request_garment_preparation
from tryon.storage import delete_private_files


def delete_tryon_data_of_deleted_account(sender: type, *, user: User, **kwargs: object) -> None:
    """Account deletion removes every photo, try-on and stored picture of the shopper."""
    delete_user_tryon_data(user=user)


def delete_files_of_deleted_photo(sender: type, *, instance: PersonPhoto, **kwargs: object) -> None:
    side_cache.forget(instance.file_name)
    delete_private_files(instance.file_name)


def forget_saved_photos(sender: type, *, instance: PersonPhoto, **kwargs: object) -> None:
    """A photo saved or deleted anywhere makes its owner's kept list of saved photos stale."""
    forget_shopper_values(instance.owner_id)


def delete_files_of_deleted_job(sender: type, *, instance: TryOnJob, **kwargs: object) -> None:
    delete_private_files(instance.result_name, instance.result_small_name)


def delete_files_of_deleted_photo_preparation(sender: type, *, instance: PhotoPreparation, **kwargs: object) -> None:
    side_cache.forget(instance.file_name)
    delete_private_files(instance.file_name)


def delete_files_of_deleted_garment_preparation(
    sender: type, *, instance: GarmentPreparation, **kwargs: object
) -> None:
    side_cache.forget(instance.file_name)
    delete_private_files(instance.file_name, instance.mask_file_name)


def prepare_saved_product_image(sender: type, *, instance: ProductImage, **kwargs: object) -> None:
    """A product image saved anywhere (admin, seed_demo, the API) gets its garment side prepared."""
    request_garment_preparation(product_image=instance)
