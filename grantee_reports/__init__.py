"""After the money: what each grant's grantee reports back (schedules, the report's state machine,
reminders), the grantee's grant page, closing the cycle, and the public learning library."""
