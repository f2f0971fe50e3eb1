"""HMP Studio: the Qt desktop application over the HMP engine."""
