"""Read-only catalogue API: categories, the filtered product list and one product.

The product list validates its query string with the page's `ProductFilterForm` and reads through
the same selector, so the API and the page always agree on what a filter means.
"""

from __future__ import annotations

from django.conf import settings
from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.generics import ListAPIView, RetrieveAPIView
from rest_framework.pagination import PageNumberPagination
from rest_framework.permissions import AllowAny

from revetir.object_keys import ObjectKeySerializerField
from shop.forms import PRODUCT_SORT_CHOICES, ProductFilterForm
from shop.models import Category, Product, ProductImage, Size, SizeChartRow, Variant
from shop.selectors import category_tree, product_detail, product_list, size_advice_for, sizes_in_display_order

# --- Serializers ----------------------------------------------------------------------------------


class SubCategorySerializer(serializers.ModelSerializer):
    class Meta:
        model = Category
        fields = ["name", "slug"]


class CategorySerializer(serializers.ModelSerializer):
    children = SubCategorySerializer(many=True, read_only=True)

    class Meta:
        model = Category
        fields = ["name", "slug", "children"]


class ProductImageSerializer(serializers.ModelSerializer):
    url = serializers.SerializerMethodField()

    class Meta:
        model = ProductImage
        fields = ["url", "alt_text", "is_primary"]

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, image: ProductImage) -> str:
        request = self.context.get("request")
        return request.build_absolute_uri(image.image.url) if request else image.image.url


class VariantSerializer(serializers.ModelSerializer):
    id = ObjectKeySerializerField(
        read_only=True,
        help_text="The size's id for the cart API: a number on SQLite, a 24-hex-digit string on MongoDB.",
    )
    in_stock = serializers.BooleanField(read_only=True)

    class Meta:
        model = Variant
        fields = ["id", "size", "sku", "stock", "in_stock"]


PRODUCT_ID_HELP = (
    "The product's id for the try-on API (`product` of POST /api/tryon/jobs/, `products` of POST "
    "/api/tryon/pages/): a number on SQLite, a 24-hex-digit string on MongoDB."
)


class ProductSummarySerializer(serializers.ModelSerializer):
    """A product card: what the list page shows for each product."""

    id = ObjectKeySerializerField(read_only=True, help_text=PRODUCT_ID_HELP)
    supports_tryon = serializers.BooleanField(read_only=True)
    category = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    currency = serializers.CharField(read_only=True)
    url = serializers.SerializerMethodField()
    primary_image = serializers.SerializerMethodField()
    available_sizes = serializers.SerializerMethodField()

    class Meta:
        model = Product
        fields = [
            "id",
            "name",
            "slug",
            "url",
            "category",
            "price",
            "currency",
            "supports_tryon",
            "primary_image",
            "available_sizes",
        ]

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, product: Product) -> str:
        return self.context["request"].build_absolute_uri(product.get_absolute_url())

    @extend_schema_field(ProductImageSerializer(allow_null=True))
    def get_primary_image(self, product: Product) -> dict | None:
        images = product.primary_images  # prefetched by shop.selectors.product_list
        return ProductImageSerializer(images[0], context=self.context).data if images else None

    @extend_schema_field(serializers.ListField(child=serializers.CharField(), help_text="Sizes in stock, XS to XXL."))
    def get_available_sizes(self, product: Product) -> list[str]:
        return [variant.size for variant in sizes_in_display_order(product.variants_in_stock)]


class SizeChartRowSerializer(serializers.ModelSerializer):
    class Meta:
        model = SizeChartRow
        fields = SizeChartRow.CHART_FIELDS


class SizeChartRowQuoteSerializer(serializers.Serializer):
    size = serializers.CharField()
    from_cm = serializers.FloatField()
    to_cm = serializers.FloatField()


class SizeRecommendationSerializer(serializers.Serializer):
    """`shop.size_advice.SizeAdvice.as_dict()`: what the product page says next to the size picker."""

    size = serializers.CharField(allow_null=True, help_text="Null when the shopper is above the largest size.")
    measure = serializers.CharField(help_text="chest, waist or hips: the measure that decided.")
    value_cm = serializers.IntegerField()
    estimated = serializers.BooleanField(help_text="True when estimated from height and weight.")
    chart_row = SizeChartRowQuoteSerializer()
    between = serializers.ListField(child=serializers.CharField(), allow_null=True)
    fit = serializers.CharField()
    message = serializers.CharField()
    between_note = serializers.CharField()


class ProductDetailSerializer(serializers.ModelSerializer):
    id = ObjectKeySerializerField(read_only=True, help_text=PRODUCT_ID_HELP)
    category = serializers.SlugRelatedField(slug_field="slug", read_only=True)
    currency = serializers.CharField(read_only=True)
    supports_tryon = serializers.BooleanField(read_only=True)
    images = ProductImageSerializer(many=True, read_only=True)
    variants = VariantSerializer(many=True, read_only=True, source="sized_variants")
    size_chart = SizeChartRowSerializer(many=True, read_only=True, source="size_chart_rows")
    size_recommendation = serializers.SerializerMethodField(
        help_text="For a signed-in shopper who entered measurements and a product with a size chart; else null."
    )

    @extend_schema_field(SizeRecommendationSerializer(allow_null=True))
    def get_size_recommendation(self, product: Product) -> dict | None:
        request = self.context.get("request")
        advice = size_advice_for(user=getattr(request, "user", None), product=product)
        return advice.as_dict() if advice else None

    class Meta:
        model = Product
        fields = [
            "id",
            "name",
            "slug",
            "description",
            "category",
            "price",
            "currency",
            "garment_type",
            "supports_tryon",
            "images",
            "variants",
            "size_chart",
            "size_recommendation",
        ]


# --- Views ----------------------------------------------------------------------------------------


class CataloguePagination(PageNumberPagination):
    """Pages as long as the shop's pages (settings.SHOP_PAGE_SIZE), `?page=` as on the site."""

    def get_page_size(self, request) -> int:
        return settings.SHOP_PAGE_SIZE


PRODUCT_FILTER_PARAMETERS = [
    OpenApiParameter("q", str, description="Text contained in the name or description (any case)."),
    OpenApiParameter("category", str, description="Category slug; a department includes its sub-categories."),
    OpenApiParameter("size", str, enum=Size.values, description="Only products with this size in stock."),
    OpenApiParameter("min_price", OpenApiTypes.DECIMAL, description="Lowest price, inclusive."),
    OpenApiParameter("max_price", OpenApiTypes.DECIMAL, description="Highest price, inclusive."),
    OpenApiParameter(
        "sort", str, enum=[key for key, _ in PRODUCT_SORT_CHOICES], description="Order of results (default newest)."
    ),
]


@extend_schema(tags=["catalogue"], summary="Departments, each with its sub-categories")
class CategoryListView(ListAPIView):
    permission_classes = [AllowAny]
    serializer_class = CategorySerializer
    pagination_class = None

    def get_queryset(self):
        return category_tree()


@extend_schema(
    tags=["catalogue"],
    summary="Active products, filtered, sorted and paginated",
    parameters=PRODUCT_FILTER_PARAMETERS,
    responses={200: ProductSummarySerializer(many=True)},
)
class ProductListView(ListAPIView):
    permission_classes = [AllowAny]
    serializer_class = ProductSummarySerializer
    pagination_class = CataloguePagination

    def get_queryset(self):
        form = ProductFilterForm(self.request.query_params)
        if not form.is_valid():
            raise ValidationError({field: [str(error) for error in errors] for field, errors in form.errors.items()})
        return product_list(filters=form.cleaned_data)


@extend_schema(tags=["catalogue"], summary="One active product with its images and sizes")
class ProductDetailView(RetrieveAPIView):
    permission_classes = [AllowAny]
    serializer_class = ProductDetailSerializer
    lookup_field = "slug"

    def get_object(self) -> Product:
        product = product_detail(slug=self.kwargs["slug"])
        if product is None:
            raise Http404("No such product.")
        return product
