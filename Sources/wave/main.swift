print("wave")
