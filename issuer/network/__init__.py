"""The network of digital mediators: the skills catalogue, skill badges and their evidence,
Mon espace and the directory, endorsements between mediators."""
