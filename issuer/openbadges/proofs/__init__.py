"""Proofs: embedded Data Integrity (`eddsa-rdfc-2022`) and VC-JWT (OB 3.0 §8.2)."""
