"""Rules for values that come from outside: integers and text, written once."""
