"""Dagster's tag names for one run over a partition key range (not exported by Dagster)."""

PARTITION_RANGE_START_TAG = "dagster/asset_partition_range_start"
PARTITION_RANGE_END_TAG = "dagster/asset_partition_range_end"
