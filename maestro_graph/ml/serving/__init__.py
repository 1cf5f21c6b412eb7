"""The model's answers at request time: written once by training (`publish`), read by the
API (`recommend`). Nothing here runs the network."""
