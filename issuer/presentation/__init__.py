"""How a badge is shown outside the site: sharing links, the social preview image, QR codes and
the printable PDF attestation."""
