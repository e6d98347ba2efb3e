"""The skills catalogue of the mediator network (issue #5): the data (`catalogue`), its public
addresses (`uris`), its storage and versioning (`service`), and its published forms (`jsonld`,
`case`)."""
