"""The seeded held-out protocol, its metrics and classic baselines, and the run that puts the
model beside them (`evaluate`)."""
