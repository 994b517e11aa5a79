"""Live updates over Server-Sent Events, fed by LISTEN/NOTIFY through one listener per process."""
