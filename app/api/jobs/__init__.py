"""`/api/v1/jobs`: background jobs (large imports, statement exports) and their files."""
