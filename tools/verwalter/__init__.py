"""verwalter: config trees, schedule preview and render preview/apply."""
