"""The coordinator's workspace: accounts and sign-in, events and attendance, self-claims, the
members of the Conseil local du numérique, and the people who received badges (their data)."""
