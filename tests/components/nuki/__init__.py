"""Tests of the Nuki integration."""
