"""urbanmgmt: a digital urban-management platform (数字化城管) on GeoDjango."""
