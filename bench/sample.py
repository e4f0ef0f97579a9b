"""A realistic Open Badges 3.0 credential used by the benchmarks (and a generator of
variations of it)."""

from __future__ import annotations

from typing import Any

ISSUER = "did:key:z6MkrJVnaZkeFzdQyMZu1cgjg7k1pZZ6pvBQ7XJPt4swbTQ2"


def realistic_credential(n: int = 0, *, alignments: int = 3) -> dict[str, Any]:
    """An OB 3.0 OpenBadgeCredential: issuer profile, achievement with alignments,
    a result with its result description, and a BitstringStatusListEntry."""
    return {
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
        ],
        "id": f"urn:uuid:2a8f4c2e-7d1b-4f7e-9c3a-{n:012d}",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": "Certified Welding Technician",
        "issuer": {
            "id": ISSUER,
            "type": ["Profile"],
            "name": "Riverside Community College",
            "url": "https://riverside.example.edu",
            "email": "registrar@riverside.example.edu",
        },
        "validFrom": "2026-06-01T12:00:00Z",
        "credentialSubject": {
            "id": f"did:example:learner{n}",
            "type": ["AchievementSubject"],
            "achievement": {
                "id": "https://riverside.example.edu/achievements/welding-tech",
                "type": ["Achievement"],
                "achievementType": "Certificate",
                "name": "Certified Welding Technician",
                "description": "Completes 240 hours of supervised shop practice and passes "
                "the structural welding performance test.",
                "criteria": {
                    "narrative": "Pass the AWS D1.1 structural performance test "
                    "and 240 supervised hours."
                },
                "alignment": [
                    {
                        "type": ["Alignment"],
                        "targetName": f"Skill {i}: Weld Inspection",
                        "targetUrl": f"https://skills.example.org/osmt/skill-{i}",
                        "targetFramework": "Open Skills Network",
                        "targetType": "ceasn:Competency",
                        "targetCode": f"OSN-{1000 + i}",
                    }
                    for i in range(alignments)
                ],
                "resultDescription": [
                    {
                        "id": "urn:uuid:9d2b6f0e-1111-4a5b-8c9d-000000000001",
                        "type": ["ResultDescription"],
                        "name": "Final grade",
                        "resultType": "LetterGrade",
                        "allowedValue": ["A", "B", "C", "D", "F"],
                    }
                ],
            },
            "result": [
                {
                    "type": ["Result"],
                    "resultDescription": "urn:uuid:9d2b6f0e-1111-4a5b-8c9d-000000000001",
                    "value": "A",
                }
            ],
        },
        "credentialStatus": {
            "id": f"https://riverside.example.edu/status/1#{n}",
            "type": "BitstringStatusListEntry",
            "statusPurpose": "revocation",
            "statusListIndex": str(n),
            "statusListCredential": "https://riverside.example.edu/status/1",
        },
    }
