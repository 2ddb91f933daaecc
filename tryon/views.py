"""Try-on pages: start a try-on, follow a job, "My photos", and the owner-only media view."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from rest_framework.authentication import TokenAuthentication, get_authorization_header
from rest_framework.exceptions import AuthenticationFailed

from revetir.object_keys import key_text
from shop import selectors as shop_selectors
from tryon import selectors, services
from tryon.forms import PhotoUploadForm, TryOnForm
from tryon.jobs import submit
from tryon.storage import private_storage

# Private media may be cached by the owner's browser only, never by shared caches.
PRIVATE_CACHE_CONTROL = "private, max-age=300"


def _busy_response(request: HttpRequest, error: submit.TryOnBusyError, template: str, context: dict) -> HttpResponse:
    messages.error(request, str(error))
    response = render(request, template, context, status=429)
    response["Retry-After"] = str(error.retry_after)
    return response


def _unavailable_response(
    request: HttpRequest, error: services.PhotoCheckUnavailableError, template: str, context: dict
) -> HttpResponse:
    messages.error(request, str(error))
    return render(request, template, context, status=503)


@login_required
@require_POST
def job_create(request: HttpRequest) -> HttpResponse:
    """The product page's "Try it on" form without JavaScript: start a job, then show its page."""
    form = TryOnForm(request.POST, request.FILES, user=request.user)
    product = None
    if form.is_valid():
        product = selectors.tryon_product(product_id=form.cleaned_data["product"])
        try:
            job = submit.start_tryon(
                user=request.user,
                product=product,
                photo=form.cleaned_data["photo_id"],
                upload=form.cleaned_data["photo"],
            )
        except submit.NoTryOnProductError as error:
            raise Http404("This product cannot be tried on.") from error
        except ValidationError as error:
            form.add_error("photo", error)
        except submit.GarmentNotOfferedError as error:
            messages.error(request, str(error))
            return render(request, "tryon/start.html", {"form": form, "product": product}, status=409)
        except services.PhotoCheckUnavailableError as error:
            return _unavailable_response(request, error, "tryon/start.html", {"form": form, "product": product})
        except submit.TryOnBusyError as error:
            return _busy_response(request, error, "tryon/start.html", {"form": form, "product": product})
        else:
            return redirect("tryon:job_detail", pk=job.pk)
    return render(request, "tryon/start.html", {"form": form, "product": product}, status=400)


@login_required
@require_GET
def job_detail(request: HttpRequest, pk: str) -> HttpResponse:
    job = selectors.job_for_user(user=request.user, job_id=pk)
    variants = selectors.sizes_for_product(product=job.product)
    size_advice = shop_selectors.size_advice_for(user=request.user, product=job.product)
    context = {"job": job, "variants": variants, "size_advice": size_advice}
    return render(request, "tryon/job_detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def job_delete(request: HttpRequest, pk: str) -> HttpResponse:
    """GET asks "Delete this try-on?" showing its picture (works without JavaScript); POST deletes."""
    job = selectors.job_for_user(user=request.user, job_id=pk)
    if request.method == "GET":
        return render(request, "tryon/job_confirm_delete.html", {"job": job})
    services.delete_job(job=job)
    messages.success(request, "The try-on and its pictures were deleted.")
    return redirect("tryon:photo_list")


@login_required
@require_http_methods(["GET", "POST"])
def photo_list(request: HttpRequest) -> HttpResponse:
    """My photos: the shopper's saved photos and try-ons, with upload and delete."""
    form = PhotoUploadForm()
    status = 200
    if request.method == "POST":
        form = PhotoUploadForm(request.POST, request.FILES)
        status = 400
        if form.is_valid():
            try:
                photo = services.save_person_photo(user=request.user, upload=form.cleaned_data["photo"])
            except ValidationError as error:
                form.add_error("photo", error)
            except services.PhotoCheckUnavailableError as error:
                messages.error(request, str(error))
                status = 503
            else:
                if photo.already_saved:
                    messages.info(request, "You had already saved this photo, so it is kept once.")
                else:
                    messages.success(request, "Your photo was saved. Only you can see it.")
                return redirect("tryon:photo_list")
    context = {
        "form": form,
        "photos": selectors.labelled_photos_for_user(user=request.user),
        "jobs": selectors.jobs_for_user(user=request.user)[:50],
        "page_job_count": selectors.page_job_count(user=request.user),
        "retention_days": settings.TRYON_RETENTION_DAYS,
    }
    return render(request, "tryon/photo_list.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def photo_delete(request: HttpRequest, pk: str) -> HttpResponse:
    """GET asks "Delete this photo?" with what goes with it (works without JavaScript); POST deletes."""
    photo = selectors.photo_for_user(user=request.user, photo_id=pk)
    if request.method == "GET":
        context = {"photo": photo, "job_count": selectors.job_count_for_photo(photo=photo)}
        return render(request, "tryon/photo_confirm_delete.html", context)
    services.delete_person_photo(photo=photo)
    messages.success(request, "The photo and its try-ons were deleted.")
    return redirect("tryon:photo_list")


def login_or_token_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Like `login_required`, and also accepts the API's `Authorization: Token …` header, so API
    clients can fetch their own `photo_url` / `result_url`. A bad token is a JSON 401, never a
    redirect to the login page; no token and no session is the usual redirect."""
    browser_view = login_required(view)

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if request.user.is_authenticated or not get_authorization_header(request):
            return browser_view(request, *args, **kwargs)
        try:
            authenticated = TokenAuthentication().authenticate(request)
        except AuthenticationFailed as error:
            authenticated = None
            message = str(error.detail)
        else:
            message = "Send `Authorization: Token <your token>`."
        if authenticated is None:
            return JsonResponse({"status": 401, "message": message}, status=401, headers={"WWW-Authenticate": "Token"})
        request.user = authenticated[0]
        return view(request, *args, **kwargs)

    return wrapped


@login_or_token_required
@require_GET
def photo_image(request: HttpRequest, pk: str) -> HttpResponse:
    photo = selectors.photo_for_user(user=request.user, photo_id=pk)
    return _private_file_response(photo.file_name)


@login_or_token_required
@require_GET
def job_result(request: HttpRequest, pk: str) -> HttpResponse:
    """The full-size result; with `?download=1` as a file to save ("Save picture")."""
    job = selectors.job_for_user(user=request.user, job_id=pk)
    download_name = None
    if request.GET.get("download") == "1":
        extension = job.result_name.rsplit(".", 1)[-1] if "." in job.result_name else "jpg"
        download_name = f"revetir-try-on-{job.product.slug}.{extension}"
    return _private_file_response(job.result_name, download_name=download_name)


@login_or_token_required
@require_GET
def job_result_small(request: HttpRequest, pk: str) -> HttpResponse:
    job = selectors.job_for_user(user=request.user, job_id=pk)
    return _private_file_response(job.result_small_name)


def reverse_photo_url(photo) -> str:
    return reverse("tryon:photo_image", kwargs={"pk": photo.pk})


def _private_file_response(name: str, *, download_name: str | None = None) -> HttpResponse:
    """Stream a private file (local storage) or redirect to a short-lived presigned URL (S3).

    With `download_name` the browser saves the file under that name instead of showing it."""
    if not name:
        raise Http404("There is no picture here yet.")
    storage = private_storage()
    if settings.MEDIA_BACKEND == "s3":
        disposition = f'attachment; filename="{download_name}"' if download_name else None
        parameters = {"ResponseContentDisposition": disposition} if disposition else None
        response: HttpResponse = HttpResponseRedirect(storage.url(name, parameters=parameters))
        response["Cache-Control"] = "no-store"
        return response
    try:
        handle = storage.open(name, "rb")
    except FileNotFoundError as exc:
        raise Http404("The picture is no longer stored.") from exc
    content_type = "image/png" if name.endswith(".png") else "image/jpeg"
    response = FileResponse(
        handle, content_type=content_type, as_attachment=download_name is not None, filename=download_name or ""
    )
    response["Cache-Control"] = PRIVATE_CACHE_CONTROL
    return response


WEAR_SESSION_KEY = "tryon_wear"


@login_required
@require_POST
def wear_toggle(request: HttpRequest) -> HttpResponse:
    """Switch "See it on me" on (with the photo chosen) or off; remembered in the session, then back
    to the page the shopper came from."""
    if request.POST.get("wear") == "on":
        photo = selectors.wear_photo_for_user(user=request.user, photo_id=request.POST.get("photo_id"))
        if photo is None:
            messages.error(request, "Save a photo of yourself first, then you can see the garments on it.")
            return redirect("tryon:photo_list")
        request.session[WEAR_SESSION_KEY] = key_text(photo.pk)
    else:
        request.session.pop(WEAR_SESSION_KEY, None)
    next_url = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = reverse("shop:product_list")
    return HttpResponseRedirect(next_url)
