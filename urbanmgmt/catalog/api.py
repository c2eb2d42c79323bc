"""API of the category catalogue."""

from rest_framework import serializers, viewsets

from urbanmgmt.catalog.models import Category, MajorClass


class MajorClassSerializer(serializers.ModelSerializer):
    class Meta:
        model = MajorClass
        fields = ["id", "family", "code", "name_zh", "name_en"]


class CategorySerializer(serializers.ModelSerializer):
    major = MajorClassSerializer(read_only=True)

    class Meta:
        model = Category
        fields = ["id", "service_code", "family", "code", "name_zh", "name_en", "major", "deadline_value",
                  "deadline_unit", "urgency", "detector_classes", "keywords", "active"]


class MajorClassViewSet(viewsets.ReadOnlyModelViewSet):
    queryset = MajorClass.objects.all()
    serializer_class = MajorClassSerializer
    filterset_fields = ["family", "code"]


class CategoryViewSet(viewsets.ReadOnlyModelViewSet):
    """Components (部件) and events (事件) with their deadlines and mappings."""

    queryset = Category.objects.select_related("major")
    serializer_class = CategorySerializer
    lookup_field = "service_code"
    filterset_fields = {"family": ["exact"], "major__code": ["exact"], "active": ["exact"], "urgency": ["exact"]}
