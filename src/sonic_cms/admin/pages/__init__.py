"""The admin's pages, one module per area; each handler calls domain services and renders."""
