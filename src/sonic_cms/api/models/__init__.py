"""OpenAPI models: the documented shapes of requests and answers, one module per area."""
