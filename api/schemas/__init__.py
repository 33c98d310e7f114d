"""Marshmallow schemas: the request and response shapes, from which the OpenAPI document is generated."""
