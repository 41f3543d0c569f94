"""`/api/v1/disputes`: reps dispute their locked statement lines; reviewers resolve."""
