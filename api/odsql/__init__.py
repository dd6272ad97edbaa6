"""ODSQL, Opendatasoft's query language, parsed by a lark grammar into a typed tree and translated into DuckDB SQL
with bound values and allow-listed fields; `build_query` turns one Explore API request into the executor's SQL."""

from api.odsql.errors import InvalidParameterError, ODSQLError
from api.odsql.parser import parse_facet, parse_group_by, parse_order_by, parse_select, parse_where
from api.odsql.query import Column, ODSQLQuery, build_query, check_page
from api.odsql.schema import DatasetSchema, FieldInfo

__all__ = ["Column", "DatasetSchema", "FieldInfo", "InvalidParameterError", "ODSQLError", "ODSQLQuery",
           "build_query", "check_page", "parse_facet", "parse_group_by", "parse_order_by", "parse_select",
           "parse_where"]
