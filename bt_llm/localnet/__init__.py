"""The embedded localnet: a deterministic chain engine reproducing the subtensor pallet."""
