"""MongoDB-only files: `mongodb/migrations/<app>/` is the migration tree used when settings run on
django-mongodb-backend (REVETIR_MONGODB_URI set). SQLite keeps each app's own `migrations/`.

Regenerate after any model change with `make mongo-migrations`; tests/revetir/test_mongodb.py
fails while either tree is behind the models.
"""
