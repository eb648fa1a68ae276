"""The page shell: home page per role and the language switch."""
