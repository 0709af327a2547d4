import WaveCLI

WaveMain.main()
