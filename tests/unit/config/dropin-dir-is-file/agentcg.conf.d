A file where the drop-in directory should be.
