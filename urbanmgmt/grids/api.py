"""API of the grid layer: areas, and unit grids as GeoJSON filtered by bounding box."""

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response
from rest_framework_gis.serializers import GeoFeatureModelSerializer

from urbanmgmt.api_guards import CheckedInBBoxFilter, FeatureCollectionPagination
from urbanmgmt.grids.geo import parse_lon_lat
from urbanmgmt.grids.models import Area, UnitGrid
from urbanmgmt.grids.services import grid_for_point


class AreaSerializer(serializers.ModelSerializer):
    parent = serializers.SlugRelatedField(slug_field="code", read_only=True, allow_null=True)

    class Meta:
        model = Area
        fields = ["id", "level", "code", "name", "parent"]


class UnitGridSerializer(GeoFeatureModelSerializer):
    community = serializers.CharField(source="community.code", read_only=True)
    community_name = serializers.CharField(source="community.name", read_only=True)
    street = serializers.CharField(source="street.code", read_only=True)
    street_name = serializers.CharField(source="street.name", read_only=True)
    district = serializers.CharField(source="district.code", read_only=True)

    class Meta:
        model = UnitGrid
        geo_field = "geom"
        fields = ["id", "code", "community", "community_name", "street", "street_name", "district", "area_m2"]


class AreaViewSet(viewsets.ReadOnlyModelViewSet):
    """Districts, streets and communities."""

    queryset = Area.objects.select_related("parent").defer("geom")
    serializer_class = AreaSerializer
    filterset_fields = ["level", "code"]


class UnitGridViewSet(viewsets.ReadOnlyModelViewSet):
    """Unit grids as GeoJSON; `in_bbox=min_lon,min_lat,max_lon,max_lat` limits to a window."""

    queryset = UnitGrid.objects.select_related("community", "street", "district").order_by("code")
    serializer_class = UnitGridSerializer
    pagination_class = FeatureCollectionPagination
    filter_backends = [CheckedInBBoxFilter, *viewsets.ReadOnlyModelViewSet.filter_backends]
    bbox_filter_field = "geom"
    bbox_filter_include_overlapping = True
    filterset_fields = {"code": ["exact"], "street__code": ["exact"], "community__code": ["exact"],
                        "district__code": ["exact"]}

    @extend_schema(
        parameters=[OpenApiParameter("lon", OpenApiTypes.DOUBLE, required=True),
                    OpenApiParameter("lat", OpenApiTypes.DOUBLE, required=True)],
        description=str(_("The unit grid that contains a WGS84 point; 400 outside the service area.")),
    )
    @action(detail=False, methods=["get"])
    def locate(self, request):
        point = parse_lon_lat(request.query_params.get("lon"), request.query_params.get("lat"))
        place = grid_for_point(point)
        grid = self.get_queryset().get(pk=place.grid_id)
        return Response(self.get_serializer(grid).data)
