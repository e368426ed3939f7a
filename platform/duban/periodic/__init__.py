"""Periodic report forms (定期报表): figures units report every period, summed up the org tree."""
