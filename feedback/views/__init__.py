"""Thin views: look up a service, validate, call one method, redirect or render."""
