"""Personal data: the privacy notice, the record of processing, each user's export and erasure,
and the retention rules."""
