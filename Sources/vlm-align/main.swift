print("vlm-align")
