"""The demo professional served by the development identity provider in place of Pro Santé Connect.

The claims are shaped as Pro Santé Connect gives them under ``scope_all``: ``SubjectNameID`` (the
professional identifier: 8 followed by the RPPS number) and ``SubjectRefPro`` (the practices with
the profession code and the practising names), and the ``acr`` level eidas1 (CPS or e-CPS).
The numbers are made up. Never used in production.
"""

DEMO_PROFESSIONAL = {
    "sub": "psc-demo-professional",
    "acr": "eidas1",
    "SubjectNameID": "899700218896",
    "SubjectRefPro": {
        "codeCivilite": "MME",
        "exercices": [{
            "codeProfession": "10", "codeCategorieProfessionnelle": "C", "codeCiviliteDexercice": "DR",
            "nomDexercice": "MARTIN", "prenomDexercice": "CAMILLE", "activities": [],
        }],
    },
    "SubjectOrganization": "Centre hospitalier de démonstration",
}
