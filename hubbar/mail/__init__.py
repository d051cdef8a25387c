"""E-mail: messages queued with the change that caused them and sent once by a worker job."""
