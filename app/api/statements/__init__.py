"""`/api/v1/statements`: rep statements, their explained lines and traces, exports, payroll."""
