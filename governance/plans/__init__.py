"""Plans: versioned plan documents, their lifecycle from draft to active, the change
request a submission carries (tests, impact), and the committee's vote on it."""
