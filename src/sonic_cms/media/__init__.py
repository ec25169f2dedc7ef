"""The media domain: upload, URL import, serving, images, metadata."""
